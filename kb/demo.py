"""The demo shop's help articles, in English and Russian, under stable keys.

The keys (and the slugs, the same in both languages) are what other features link to, e.g. the
pre-shot rules: ``delivery-times``, ``track-order``, ``change-address``, ``cancel-order``,
``return-item``, ``refund-status``, ``size-guide``, ``missing-item``, ``payment-failed``,
``damaged-item``, ``exchange-size``, ``late-parcel``, ``contact-us``. Loading again leaves a manager's edits alone.
"""

from __future__ import annotations

from kb.actions import TranslationInput, do_save_article, do_save_category
from kb.models import Article

CATEGORIES = [
    ("orders", "Orders and delivery", "Заказы и доставка"),
    ("returns", "Returns and refunds", "Возвраты и деньги"),
    ("products", "Products and sizes", "Товары и размеры"),
    ("payment", "Payment", "Оплата"),
]

# key, category, (English title, body), (Russian title, body)
ARTICLES: list[tuple[str, str, tuple[str, str], tuple[str, str]]] = [
    (
        "delivery-times",
        "orders",
        (
            "Delivery times",
            "Orders are delivered in **2 to 5 working days** in cities and up to 8 working days elsewhere. "
            "We ship within one working day of payment.\n\n"
            "- Courier: 2–4 days\n- Pick-up point: 3–5 days\n- Post: 5–8 days\n\n"
            "The delivery date of your order is in your account, under *Orders*.",
        ),
        (
            "Сроки доставки",
            "Заказ доставляем за **2–5 рабочих дней** по городам и до 8 рабочих дней в остальные места. "
            "Отправляем в течение рабочего дня после оплаты.\n\n"
            "- Курьер: 2–4 дня\n- Пункт выдачи: 3–5 дней\n- Почта: 5–8 дней\n\n"
            "Дата доставки вашего заказа есть в личном кабинете, в разделе «Заказы».",
        ),
    ),
    (
        "track-order",
        "orders",
        (
            "Track your order",
            "Once your parcel is shipped you get an email with its tracking number and a tracking link. "
            "The link shows where the parcel is after every carrier scan.\n\n"
            "You also find the tracking link in your account, under *Orders*. A new tracking number may "
            "take up to 24 hours to show its first scan.",
        ),
        (
            "Как отследить заказ",
            "Когда посылка отправлена, вы получаете письмо с трек-номером и ссылкой для отслеживания. "
            "По ссылке видно, где посылка, после каждого скана перевозчика.\n\n"
            "Ссылка для отслеживания есть и в личном кабинете, в разделе «Заказы». Первый скан нового "
            "трек-номера может появиться в течение 24 часов.",
        ),
    ),
    (
        "change-address",
        "orders",
        (
            "Change the delivery address",
            "You can change the delivery address while the order is not shipped yet: open the order in "
            "your account and choose *Change address*.\n\n"
            "Once the parcel is shipped, the address can only be changed with the carrier, using the "
            "tracking link.",
        ),
        (
            "Изменить адрес доставки",
            "Адрес доставки можно изменить, пока заказ не отправлен: откройте заказ в личном кабинете и "
            "нажмите «Изменить адрес».\n\n"
            "После отправки адрес меняет только перевозчик: воспользуйтесь ссылкой для отслеживания.",
        ),
    ),
    (
        "cancel-order",
        "orders",
        (
            "Cancel an order",
            "An order can be cancelled until it is shipped: open it in your account and choose *Cancel "
            "order*. The money goes back to your card within 3 to 10 working days.\n\n"
            "After shipping, refuse the parcel at delivery or send it back: see *Return an item*.",
        ),
        (
            "Отменить заказ",
            "Заказ можно отменить, пока он не отправлен: откройте его в личном кабинете и нажмите "
            "«Отменить заказ». Деньги вернутся на карту за 3–10 рабочих дней.\n\n"
            "После отправки откажитесь от посылки при получении или верните её: см. «Вернуть товар».",
        ),
    ),
    (
        "return-item",
        "returns",
        (
            "Return an item",
            "Returns are free within **30 days** of delivery. Start a return in your account, under "
            "*Orders*, print the label and drop the parcel at any pick-up point.\n\n"
            "Items must be unworn, with their tags.",
        ),
        (
            "Вернуть товар",
            "Вернуть товар можно бесплатно в течение **30 дней** после получения. Оформите возврат в личном "
            "кабинете, в разделе «Заказы», распечатайте ярлык и сдайте посылку в любой пункт выдачи.\n\n"
            "Вещи не должны быть в носке, ярлыки должны быть на месте.",
        ),
    ),
    (
        "refund-status",
        "returns",
        (
            "Refund status",
            "We refund within 5 working days after your return reaches our warehouse; your bank may take "
            "up to 10 more days to show the money.\n\n"
            "The status of your refund is in your account, under *Returns*.",
        ),
        (
            "Когда вернутся деньги",
            "Мы возвращаем деньги в течение 5 рабочих дней после того, как возврат пришёл на склад; банку "
            "может понадобиться ещё до 10 дней, чтобы зачислить их.\n\n"
            "Статус возврата денег есть в личном кабинете, в разделе «Возвраты».",
        ),
    ),
    (
        "size-guide",
        "products",
        (
            "Size guide",
            "Every product page has a size chart: measure your chest, waist and hips and pick the size "
            "whose measurements are closest. Between two sizes, choose the larger one.\n\n"
            "Our stylists also help you choose in the chat.",
        ),
        (
            "Как подобрать размер",
            "На странице каждого товара есть таблица размеров: измерьте обхват груди, талии и бёдер и "
            "выберите размер с ближайшими значениями. Если между двумя размерами, берите больший.\n\n"
            "Подобрать размер помогут и наши стилисты в чате.",
        ),
    ),
    (
        "missing-item",
        "orders",
        (
            "An item is missing from my parcel",
            "Sometimes an order comes in several parcels: check the email about your shipment. If an item "
            "is still missing, report it within 14 days in your account, under *Orders*, with a photo of "
            "the parcel; we send the item again or refund it.",
        ),
        (
            "В посылке не хватает товара",
            "Иногда заказ приходит несколькими посылками: проверьте письмо об отправке. Если товара всё "
            "равно нет, сообщите об этом в течение 14 дней в личном кабинете, в разделе «Заказы», с фото "
            "посылки: мы отправим товар ещё раз или вернём деньги.",
        ),
    ),
    (
        "payment-failed",
        "payment",
        (
            "My payment failed",
            "If a payment fails, no money is taken, or the bank releases the hold within a few days. Check "
            "the card's details and limit, and that 3-D Secure confirmation was completed, then try again.\n\n"
            "You can also pay by another card or on delivery.",
        ),
        (
            "Не проходит оплата",
            "Если оплата не прошла, деньги не списываются или банк снимает блокировку за несколько дней. "
            "Проверьте данные и лимит карты и подтверждение 3-D Secure, затем попробуйте ещё раз.\n\n"
            "Можно оплатить и другой картой или при получении.",
        ),
    ),
    (
        "damaged-item",
        "returns",
        (
            "I received a damaged item",
            "We are sorry! Report a damaged or faulty item within 14 days in your account, under *Orders*, "
            "with a photo. We send a new one or refund it, and the return is free.",
        ),
        (
            "Товар пришёл повреждённым",
            "Нам очень жаль! Сообщите о повреждённом или бракованном товаре в течение 14 дней в личном "
            "кабинете, в разделе «Заказы», приложив фото. Мы пришлём новый или вернём деньги, возврат бесплатный.",
        ),
    ),
    (
        "exchange-size",
        "returns",
        (
            "Exchange for another size",
            "To exchange an item for another size, return it for free and place a new order: this is the "
            "fastest way, as the new size ships at once.",
        ),
        (
            "Обменять на другой размер",
            "Чтобы обменять вещь на другой размер, верните её бесплатно и оформите новый заказ: так быстрее "
            "всего, новый размер отправим сразу.",
        ),
    ),
    (
        "late-parcel",
        "orders",
        (
            "Your parcel is late",
            "Sorry: your parcel did not arrive by the date the carrier promised. Most late parcels arrive "
            "within **2 working days** of that date; the tracking link shows its latest scan.\n\n"
            "If the tracking has not moved for 3 working days, or it says the parcel was delivered and you "
            "do not have it, tell us in the chat: we open an enquiry with the carrier and send a new parcel "
            "or refund you if it is lost.",
        ),
        (
            "Посылка задерживается",
            "Простите: посылка не пришла к сроку, который обещал перевозчик. Обычно опоздавшие посылки "
            "приходят в течение **2 рабочих дней** после этой даты; по ссылке для отслеживания видно "
            "последний скан.\n\n"
            "Если статус не меняется 3 рабочих дня или посылка значится доставленной, но вы её не получили, "
            "напишите нам в чат: мы откроем запрос у перевозчика и отправим новую посылку или вернём деньги, "
            "если она потеряна.",
        ),
    ),
    (
        "contact-us",
        "orders",
        (
            "Contact us",
            "Write to us in the chat on the site, in Telegram or in VK, every day from 8:00 to 22:00. "
            "Outside those hours leave a message and we answer by email.",
        ),
        (
            "Как с нами связаться",
            "Пишите нам в чат на сайте, в Telegram или ВКонтакте, каждый день с 8:00 до 22:00. В другое "
            "время оставьте сообщение, и мы ответим по почте.",
        ),
    ),
]


def load_kb_demo() -> None:
    categories = {
        slug: do_save_category(operator_id=None, slug=slug, name_en=en, name_ru=ru, position=position)
        for position, (slug, en, ru) in enumerate(CATEGORIES)
    }
    existing = set(Article.objects.values_list("key", flat=True))
    for key, category, (en_title, en_body), (ru_title, ru_body) in ARTICLES:
        if key in existing:
            continue
        do_save_article(
            operator_id=None,
            key=key,
            category_id=categories[category].pk,
            translations={
                "en": TranslationInput(title=en_title, slug=key, body=en_body, published=True),
                "ru": TranslationInput(title=ru_title, slug=key, body=ru_body, published=True),
            },
        )
