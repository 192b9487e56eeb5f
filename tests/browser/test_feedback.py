"""The rating after a chat and the stylist consultation, in the real widget (Chromium + live daphne)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import FilePayload, Page, expect

from chat.actions import do_close, do_operator_reply, do_set_operator_status
from chat.models import Conversation, Message, Operator, Questionnaire, Rating, Reason
from tests.browser.conftest import PHONE, in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]


def online_operator(make_operator: Callable[..., Operator], name: str, **kwargs: object) -> Operator:
    operator = in_thread(make_operator, name, **kwargs)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def open_chat(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()


def reopened(page: Page) -> None:
    """After a reload the widget reopens by itself: it remembers the panel was open."""
    expect(page.locator(".sbw-btn")).to_have_attribute("aria-expanded", "true")


def test_shopper_rates_the_chat_with_stars_and_a_comment_once(
    transactional_db: None, make_operator: Callable[..., Operator], reason: Reason, new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator, "Anna")
    page = new_page()
    open_chat(page)
    box = page.get_by_role("textbox", name="Your message")
    box.fill("Where is my order?")
    box.press("Enter")
    conversation = wait_for(lambda: Conversation.objects.filter(operator=operator).first())
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="It ships today.")
    expect(page.locator(".sbw-operator .sbw-text")).to_have_text(["It ships today."])
    in_thread(do_close, conversation_id=conversation.pk, operator_id=operator.pk, reason_id=reason.pk)

    rating = page.locator(".sbw-rate")
    expect(rating).to_be_visible()
    expect(rating).to_contain_text("How did we do?")
    rating.get_by_role("button", name="Send rating").click()
    expect(page.locator(".sbw-notice")).to_have_text("Choose 1 to 5 stars.")  # no stars, nothing sent
    assert not Rating.objects.exists()

    rating.get_by_role("button", name="2 of 5 stars").click()
    expect(rating.get_by_role("button", name="2 of 5 stars")).to_have_attribute("aria-pressed", "true")
    rating.get_by_role("textbox", name="Comment (optional)").fill("Slow <b>answer</b>")
    save_screenshot(page, "widget-rating")
    rating.get_by_role("button", name="Send rating").click()
    expect(page.locator(".sbw-notice")).to_have_text("Thank you for your rating!")
    expect(rating).to_be_hidden()
    stored = wait_for(lambda: Rating.objects.filter(conversation=conversation).first())
    assert (stored.stars, stored.comment, stored.flagged, stored.operator_id) == (
        2,
        "Slow <b>answer</b>",
        True,
        operator.pk,
    )

    page.reload()  # a rated chat asks no more
    reopened(page)
    expect(page.locator(".sbw-status")).to_contain_text("The chat has ended")
    expect(rating).to_be_hidden()


def test_rating_survives_a_reload_and_a_second_tab_cannot_rate_twice(
    transactional_db: None, make_operator: Callable[..., Operator], reason: Reason, new_context: Callable[..., object]
) -> None:
    operator = online_operator(make_operator, "Boris")
    context = new_context()
    page = context.new_page()  # type: ignore[attr-defined]
    open_chat(page)
    box = page.get_by_role("textbox", name="Your message")
    box.fill("Hello")
    box.press("Enter")
    conversation = wait_for(lambda: Conversation.objects.filter(operator=operator).first())
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="Hi!")
    in_thread(do_close, conversation_id=conversation.pk, operator_id=operator.pk, reason_id=reason.pk)
    expect(page.locator(".sbw-rate")).to_be_visible()

    page.reload()  # the prompt is still due: the server sends it again after the state
    reopened(page)
    expect(page.locator(".sbw-rate")).to_be_visible()

    other = context.new_page()  # type: ignore[attr-defined]
    other.goto("/")
    reopened(other)  # the same shopper: the widget remembers the chat was open
    expect(other.locator(".sbw-rate")).to_be_visible()

    page.locator(".sbw-rate").get_by_role("button", name="5 of 5 stars").click()
    page.locator(".sbw-rate").get_by_role("button", name="Send rating").click()
    expect(page.locator(".sbw-notice")).to_have_text("Thank you for your rating!")
    # The other tab still shows its stale form only until the live "rated" event arrives, or a press
    # is refused politely; either way the stored rating stays 5 stars.
    expect(other.locator(".sbw-rate")).to_be_hidden()
    assert Rating.objects.get(conversation=conversation).stars == 5


def test_consultation_button_opens_the_questionnaire_inline_for_a_stylist(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    general = online_operator(make_operator, "Gena")
    stylist = online_operator(make_operator, "Sofia", skills=["stylist"])
    page = new_page(**PHONE, locale="ru-RU")
    page.goto("/")
    page.get_by_role("button", name="Открыть чат").click()  # a Russian browser gets the Russian widget
    page.get_by_role("button", name="Консультация стилиста").click()

    conversation = wait_for(lambda: Conversation.objects.filter(queue__slug="stylist").first())
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).operator_id == stylist.pk)
    assert Conversation.objects.filter(operator=general).count() == 0

    frame_element = page.locator("iframe.sbw-questionnaire")
    expect(frame_element).to_be_visible()
    form = page.frame_locator("iframe.sbw-questionnaire")
    expect(form.get_by_role("heading")).to_have_text("Анкета для стилиста")

    form.get_by_label("Рост, см").fill("12")
    form.get_by_role("button", name="Отправить стилисту").click()
    expect(form.get_by_role("alert")).to_have_text("Исправьте отмеченные поля.")
    expect(form.locator("[data-field=height_cm] .errorlist")).to_have_text("Укажите рост в см, от 100 до 230.")
    expect(form.locator("[data-field=styles] .errorlist")).to_have_text("Выберите хотя бы один стиль.")
    assert not Questionnaire.objects.exists()

    form.get_by_label("Рост, см").fill("170")
    form.get_by_label("Размер верха").fill("M")
    form.get_by_label("Размер низа").fill("44")
    form.get_by_label("Размер обуви (EU)").fill("38,5")
    form.get_by_label("Повседневный").check()
    form.get_by_label("Любимые цвета").fill("синий, бежевый")
    form.get_by_label("Повод").select_option("work")
    form.get_by_label("Бюджет до, ₽").fill("20000")
    form.get_by_label("Фото (необязательно").set_input_files(
        files=[FilePayload(name="me.png", mimeType="image/png", buffer=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)]
    )
    save_screenshot(page, "widget-questionnaire-phone")
    form.get_by_role("button", name="Отправить стилисту").click()

    expect(page.locator(".sbw-notice")).to_contain_text("стилист получил анкету")
    expect(frame_element).to_be_hidden()
    stored = wait_for(lambda: Questionnaire.objects.filter(conversation=conversation).first())
    assert stored.answers["size_shoes"] == "38.5"
    assert stored.answers["styles"] == ["casual"]
    assert stored.photo.name.endswith(".png")
    # The stylist sees that the form came in, in the chat's notes.
    assert Message.objects.filter(conversation=conversation, is_note=True, author_kind="system").exists()

    page.reload()  # submitted: the form does not come back
    reopened(page)
    expect(page.locator(".sbw-status")).to_contain_text("Sofia")
    expect(frame_element).to_be_hidden()


# --- The workspace side ---------------------------------------------------------------------------


def operator_logs_in(page: Page, operator: Operator) -> None:
    page.goto("/workspace/")
    page.get_by_label("Login").fill(operator.user.username)
    page.get_by_label("Password").fill("pw-123456")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()


def test_stylist_sees_the_questionnaire_arrive_and_a_manager_reviews_a_low_rating_live(
    transactional_db: None, make_operator: Callable[..., Operator], reason: Reason, new_page: Callable[..., Page]
) -> None:
    from chat.actions import (
        InboundMessage,
        do_rate_conversation,
        do_receive_inbound,
        do_start_consultation,
        do_submit_questionnaire,
    )
    from tests.feedback.test_consultation import answers, as_post

    stylist = online_operator(make_operator, "Sofia", skills=["stylist"])
    manager = in_thread(make_operator, "Maria", is_manager=True)
    stylist_page, manager_page = new_page(), new_page()
    operator_logs_in(stylist_page, stylist)
    operator_logs_in(manager_page, manager)
    review = manager_page.get_by_role("region", name="Ratings to review")
    expect(review).to_contain_text("No ratings to review")

    consultation = in_thread(do_start_consultation, connector="widget", sender_id="v-ws", name="Vera").conversation
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-ws", text="Hello!"))
    panel = stylist_page.locator(f'.customer-extra[data-conversation-id="{consultation.pk}"]')
    expect(panel).to_contain_text("Not filled in yet")
    in_thread(do_submit_questionnaire, conversation_id=consultation.pk, data=as_post(answers()))
    expect(panel.locator("dl.questionnaire")).to_contain_text("Occasion")
    expect(panel.locator("dl.questionnaire")).to_contain_text("No <script>wool</script>, please")
    expect(stylist_page.locator("#flash")).to_contain_text("The customer filled in the questionnaire")
    save_screenshot(stylist_page, "workspace-questionnaire")

    in_thread(do_operator_reply, conversation_id=consultation.pk, operator_id=stylist.pk, text="Here are ideas.")
    in_thread(do_close, conversation_id=consultation.pk, operator_id=stylist.pk, reason_id=reason.pk)
    in_thread(
        do_rate_conversation,
        conversation_id=consultation.pk,
        connector="widget",
        sender_id="v-ws",
        stars=1,
        comment="<i>Not</i> my style",
    )
    item = review.locator(f'li[data-conversation-id="{consultation.pk}"]')
    expect(item).to_contain_text("<i>Not</i> my style")
    expect(item).to_contain_text("Sofia")
    save_screenshot(manager_page, "workspace-ratings-to-review")
    item.get_by_role("button", name="Reviewed").click()
    expect(item).to_have_count(0)
    wait_for(lambda: Rating.objects.get(conversation=consultation).reviewed_at is not None)


def png(width: int, height: int) -> bytes:
    """A real image the browser can draw (a flat colour), so its rendered size can be measured."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xc0\x80\x90" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_the_stylist_reads_the_answers_and_sees_the_photo_at_the_panels_width(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat.actions import do_start_consultation, do_submit_questionnaire
    from tests.feedback.test_consultation import answers, as_post

    stylist = online_operator(make_operator, "Sofia", skills=["stylist"])
    page = new_page()
    operator_logs_in(page, stylist)
    consultation = in_thread(do_start_consultation, connector="widget", sender_id="v-wide", name="Vera").conversation
    photo = SimpleUploadedFile("me.png", png(300, 400), content_type="image/png")
    in_thread(do_submit_questionnaire, conversation_id=consultation.pk, data=as_post(answers()), files={"photo": photo})

    answers_list = page.locator(f'.customer-extra[data-conversation-id="{consultation.pk}"] dl.questionnaire')
    expect(answers_list).to_contain_text("Anything else the stylist should know")
    panel = answers_list.bounding_box()
    height = answers_list.locator("dd", has_text="168")
    expect(height).to_have_text("168")
    box = height.bounding_box()
    font = page.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)", height.element_handle())
    assert panel and box
    assert box["height"] < 2 * font, f"'168' wraps: {box}"
    assert box["width"] > 0.8 * panel["width"], f"the answer column is {box['width']} of {panel['width']} px"
    image = answers_list.locator("img")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    drawn = image.bounding_box()
    assert drawn and drawn["width"] > 0.5 * panel["width"] and drawn["height"] > 100, f"the photo is {drawn}"
    save_screenshot(page, "workspace-questionnaire-panel")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_rating_to_review_names_who_and_opens_its_transcript(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    reason: Reason,
    new_page: Callable[..., Page],
    language: str,
) -> None:
    from chat.actions import InboundMessage, do_rate_conversation, do_receive_inbound

    boris = online_operator(make_operator, "Boris")
    manager = in_thread(make_operator, "Maria", is_manager=True, language=language)
    chat = in_thread(
        do_receive_inbound, InboundMessage(connector="telegram", sender_id="tg-9", text="My parcel <b>is</b> lost")
    ).conversation
    in_thread(do_operator_reply, conversation_id=chat.pk, operator_id=boris.pk, text="Sorry, checking.")
    in_thread(do_close, conversation_id=chat.pk, operator_id=boris.pk, reason_id=reason.pk)
    in_thread(do_rate_conversation, conversation_id=chat.pk, connector="telegram", sender_id="tg-9", stars=1)

    page = new_page()
    page.goto("/workspace/")
    page.get_by_label("Login").fill(manager.user.username)
    page.get_by_label("Password").fill("pw-123456")
    page.get_by_label("Password").press("Enter")  # the workspace then speaks the manager's language
    item = page.locator(f'#flagged-list li[data-conversation-id="{chat.pk}"]')
    via = {"en": "Shopper on Telegram", "ru": "Покупатель в Telegram"}[language]
    expect(item).to_contain_text(f"#{chat.pk} · {via} · Boris")
    assert "· ·" not in item.inner_text()
    item.get_by_role("link", name=f"#{chat.pk}").click()
    dialog = page.locator("#transcript-dialog")
    expect(dialog).to_be_visible()
    # The shopper's message, Boris's reply and the close's system line, in the order they happened.
    expect(dialog.locator(".line")).to_have_count(3)
    expect(dialog).to_contain_text("My parcel <b>is</b> lost")
    expect(dialog).to_contain_text("Sorry, checking.")
    save_screenshot(page, f"workspace-rating-transcript-{language}")
    dialog.get_by_role("button").click()
    expect(dialog).to_be_hidden()
    # The entry's address opens the same transcript.
    page.goto(f"/workspace/#transcript-{chat.pk}")
    expect(page.locator("#transcript-dialog")).to_contain_text("Sorry, checking.")


def test_asking_for_a_stylist_mid_chat_hands_the_chat_over_instead_of_orphaning_it(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    anna = online_operator(make_operator, "Anna")
    anna_page = new_page()
    operator_logs_in(anna_page, anna)
    shopper = new_page()
    open_chat(shopper)
    box = shopper.get_by_role("textbox", name="Your message")
    box.fill("Does this dress come in blue?")
    box.press("Enter")
    chat = wait_for(lambda: Conversation.objects.filter(operator=anna).first())
    expect(anna_page.locator(f"#chat-{chat.pk}")).to_have_count(1)
    in_thread(do_operator_reply, conversation_id=chat.pk, operator_id=anna.pk, text="Let me find our stylist.")
    expect(shopper.locator(".sbw-operator .sbw-text")).to_have_text(["Let me find our stylist."])

    shopper.get_by_role("button", name="Stylist consultation").click()

    # The same chat, history and all, with a line saying where it went; Anna's tab for it is gone.
    expect(shopper.locator(".sbw-text").filter(has_text="moved to the stylist consultation")).to_be_visible()
    expect(shopper.locator(".sbw-text").filter(has_text="Does this dress come in blue?")).to_be_visible()
    expect(shopper.locator("iframe.sbw-questionnaire")).to_be_visible()
    expect(anna_page.locator(f"#chat-{chat.pk}")).to_have_count(0)
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get(pk=chat.pk).queue.slug == "stylist"
    sofia = online_operator(make_operator, "Sofia", skills=["stylist"])
    wait_for(lambda: Conversation.objects.get(pk=chat.pk).operator_id == sofia.pk)
    expect(shopper.locator(".sbw-status")).to_contain_text("Sofia")
    save_screenshot(shopper, "widget-consultation-handover")
