"""The demo shop's starting data: queues, staff, contact reasons, canned replies, a few chats."""

from __future__ import annotations

from collections.abc import Callable

from chat.actions import InboundMessage, do_close, do_operator_reply, do_receive_inbound, do_set_operator_status
from chat.actions.setup import do_create_operator, do_ensure_canned_reply, do_ensure_queue, do_ensure_reason
from chat.models import Conversation

# Other apps add their demo data here (in their AppConfig.ready); load_demo runs them after its own.
DEMO_LOADERS: list[Callable[[], None]] = []


def register_demo_loader(loader: Callable[[], None]) -> None:
    if loader not in DEMO_LOADERS:
        DEMO_LOADERS.append(loader)


DEMO_PASSWORD = "switchboard"
DEMO_LOGINS = [
    ("manager", "Maria", ("general", "stylist"), True),
    ("anna", "Anna", ("general",), False),
    ("boris", "Boris", ("general",), False),
    ("sofia", "Sofia", ("stylist",), False),
]

# Why shoppers write, by cause (Price & Jaffe): one per closed chat, mutually exclusive.
REASONS = [
    ("order-where", "Order", "Order: where is it", "Заказ: где он"),
    ("order-change-address", "Order", "Order: change address", "Заказ: изменить адрес"),
    ("order-cancel", "Order", "Order: cancel", "Заказ: отменить"),
    ("order-change-items", "Order", "Order: change items", "Заказ: изменить состав"),
    ("delivery-late-carrier", "Delivery", "Delivery late: carrier", "Задержка доставки: перевозчик"),
    ("return-wrong-size", "Return", "Return: wrong size", "Возврат: не подошёл размер"),
    ("return-defect", "Return", "Return: defective item", "Возврат: брак"),
    ("refund-status", "Return", "Refund: where is my money", "Возврат денег: статус"),
    ("product-size-advice", "Product", "Product: size advice", "Товар: подбор размера"),
    ("product-availability", "Product", "Product: availability", "Товар: наличие"),
    ("stylist-consultation", "Stylist", "Stylist consultation", "Консультация стилиста"),
    ("site-payment-failed", "Site", "Site: payment failed", "Сайт: не проходит оплата"),
    ("site-login", "Site", "Site: cannot log in", "Сайт: не получается войти"),
    ("company-info", "Company", "Company: contacts and stores", "Компания: контакты и магазины"),
]

CANNED = [
    ("hello", "en", "Hello! My name is {operator}. How can I help you?"),
    ("hello", "ru", "Здравствуйте! Меня зовут {operator}. Чем могу помочь?"),
    ("track", "en", "You can follow your order on the tracking page; it updates as soon as the carrier scans it."),
    ("track", "ru", "Отследить заказ можно на странице отслеживания: она обновляется после каждого скана."),
    ("return", "en", "Returns are free within 30 days: start one from your account, under Orders."),
    ("return", "ru", "Вернуть товар можно бесплатно в течение 30 дней: в личном кабинете, раздел «Заказы»."),
    ("bye", "en", "Thank you for writing to us! Have a good day."),
    ("bye", "ru", "Спасибо за обращение! Хорошего дня."),
]


def load_demo() -> list[tuple[str, str, str]]:
    """Create the demo data once; returns (login, password, role) for printing."""
    do_ensure_queue(slug="general", name="General", skill_slug="general", skill_name="General")
    do_ensure_queue(slug="stylist", name="Stylist consultation", skill_slug="stylist", skill_name="Stylist")
    operators = {}
    for login, name, skills, is_manager in DEMO_LOGINS:
        operators[login] = do_create_operator(
            username=login, password=DEMO_PASSWORD, display_name=name, skills=skills, is_manager=is_manager
        )
    for position, (slug, category, en, ru) in enumerate(REASONS):
        do_ensure_reason(slug=slug, category=category, name_en=en, name_ru=ru, position=position)
    for shortcut, language, text in CANNED:
        do_ensure_canned_reply(shortcut=shortcut, language=language, text=text)
    if not Conversation.objects.exists():
        _demo_conversations(operators["anna"].pk)
    for loader in DEMO_LOADERS:
        loader()
    return [
        (login, DEMO_PASSWORD, "manager" if is_manager else ("stylist" if "stylist" in skills else "operator"))
        for login, _, skills, is_manager in DEMO_LOGINS
    ]


def _demo_conversations(operator_id: int) -> None:
    """Two earlier chats, answered and closed by Anna, so the history and dashboards are not empty."""
    from chat.models import Reason

    do_set_operator_status(operator_id=operator_id, status="online")
    chats = [
        (
            "demo-visitor-1",
            "Olga",
            "ru",
            "Здравствуйте! Где мой заказ 10234?",
            "Добрый день! Он уже у курьера.",
            "order-where",
        ),
        (
            "demo-visitor-2",
            "James",
            "en",
            "Can I return a jacket that is too small?",
            "Of course: returns are free.",
            "return-wrong-size",
        ),
    ]
    for sender, name, language, question, answer, reason in chats:
        received = do_receive_inbound(
            InboundMessage(connector="widget", sender_id=sender, sender_name=name, language=language, text=question)
        )
        do_operator_reply(conversation_id=received.conversation.pk, operator_id=operator_id, text=answer)
        do_close(
            conversation_id=received.conversation.pk,
            operator_id=operator_id,
            reason_id=Reason.objects.get(slug=reason).pk,
        )
    do_set_operator_status(operator_id=operator_id, status="offline")
