"""Every text the site widget shows, from the one gettext catalogue, in the shopper's language.

The widget (``static/widget/widget.js``) holds no texts of its own: it asks ``strings/?lang=`` once
and keeps the answer for a while in the shopper's browser. ``{name}`` placeholders are the widget's
to fill. The context ``"widget"`` keeps these apart from the workspace's texts of the same English.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext


def widget_language(requested: str) -> str:
    """The supported language closest to ``requested`` (``ru-RU`` -> ``ru``); else the default."""
    try:
        return translation.get_supported_language_variant(requested.strip().lower()[:16] or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def widget_strings(language: str) -> dict[str, str]:
    """The widget's texts by key, translated into ``language``."""
    with translation.override(language):
        return {
            "open": pgettext("widget", "Open chat"),
            "unread": pgettext("widget", " ({n} unread)"),
            "title": pgettext("widget", "Chat with us"),
            "minimize": pgettext("widget", "Minimize chat"),
            "end": pgettext("widget", "End chat"),
            "send": pgettext("widget", "Send"),
            "input": pgettext("widget", "Your message"),
            "placeholder": pgettext("widget", "Write a message…"),
            "messages": pgettext("widget", "Messages"),
            "you": pgettext("widget", "You"),
            "waiting": pgettext("widget", "Waiting for an operator…"),
            "position": pgettext("widget", "You are number {n} in the queue"),
            "wait": pgettext("widget", " · about {m} min"),
            "operator": pgettext("widget", "{name} is here to help"),
            "typing": pgettext("widget", "{name} is typing…"),
            "someone": pgettext("widget", "The operator"),
            "closed": pgettext("widget", "The chat has ended. Write to start a new one."),
            "sending": pgettext("widget", "Sending…"),
            "failed": pgettext("widget", "Not sent: {e}"),
            "reconnecting": pgettext("widget", "Connection lost, reconnecting…"),
            "stylist": pgettext("widget", "Stylist consultation"),
            "unavailable": pgettext(
                "widget", "The chat is briefly unavailable. Your message is kept and will be sent when we are back."
            ),
            "retrying": pgettext("widget", "Not sent yet, will retry"),
            "offlineIntro": pgettext(
                "widget", "No one is online right now. Leave a message and we will answer by email or phone."
            ),
            "name": pgettext("widget", "Name"),
            "email": pgettext("widget", "Email"),
            "phone": pgettext("widget", "Phone"),
            "message": pgettext("widget", "Message"),
            "leave": pgettext("widget", "Send message"),
            "needContact": pgettext("widget", "Leave an email or a phone number."),
            "thanks": pgettext("widget", "Thank you! We will answer soon."),
            "tooLong": pgettext("widget", "The message is longer than {n} characters."),
            "overLimit": pgettext("widget", "{count} of {n} characters: shorten the message to send it."),
            "support": pgettext("widget", "Support"),
            "confirmEnd": pgettext("widget", "End this chat?"),
            "endYes": pgettext("widget", "End chat"),
            "endNo": pgettext("widget", "Keep chatting"),
            "rate": pgettext("widget", "How did we do? Rate this chat."),
            "star": pgettext("widget", "{n} of 5 stars"),
            "comment": pgettext("widget", "Comment (optional)"),
            "rateSend": pgettext("widget", "Send rating"),
            "rated": pgettext("widget", "Thank you for your rating!"),
            "chooseStars": pgettext("widget", "Choose 1 to 5 stars."),
            "questionnaire": pgettext("widget", "Stylist questionnaire"),
            "nobodyOnline": pgettext("widget", "Nobody who can answer this is online right now."),
            "offerWait": pgettext(
                "widget",
                "Rather not wait? Leave your email or phone: we will answer there, and your chat keeps its place.",
            ),
            "offerClosed": pgettext("widget", "Leave a message with your email or phone and we will answer."),
            "offerButton": pgettext("widget", "Leave a message"),
            "keepIntro": pgettext("widget", "Leave your email or phone. Your chat keeps its place in the queue."),
            "unanswered": pgettext("widget", "Nobody could answer in time. Write to start a new chat."),
            "contactSaved": pgettext("widget", "Thank you! We will answer there."),
            "error": pgettext("widget", "Something went wrong. Please try again."),
            "attach": pgettext("widget", "Attach a photo or file"),
            "camera": pgettext("widget", "Take a photo"),
            "uploading": pgettext("widget", "Sending {name}…"),
            "dropHere": pgettext("widget", "Drop the file here to send it"),
            "fileFailed": pgettext("widget", "Not sent: {e}"),
            "preshotRegion": pgettext("widget", "Your order"),
            "preshotStage": pgettext("widget", "Order {number} · {status} {ago}"),
            "preshotQuestions": pgettext("widget", "Common questions"),
            "preshotRead": pgettext("widget", "Read the whole answer"),
            "preshotHelp": pgettext("widget", "Still need help"),
            "preshotConsent": pgettext("widget", "Tell me here if this order is late"),
            "preshotConsented": pgettext("widget", "We will tell you here if an order is late."),
        }
