"""The questionnaire page. The signed token is the only credential: it names one conversation and expires.

The page may be framed by the widget on the shop's own site, so it is exempt from X-Frame-Options and
its policy's ``frame-ancestors`` names the shop's origins (``WIDGET_ALLOWED_ORIGINS``); it holds nothing
but the form for the conversation its token names.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_noop
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chat.actions import do_submit_questionnaire
from chat.errors import ChatError, InvalidForm, LinkExpired, LinkNotValid, NotFound
from chat.links import conversation_id_from_token
from chat.models import Conversation, ConversationState, Questionnaire
from chat.questionnaire import QuestionnaireForm
from chat.texts import in_language, language_of, shopper_text
from config.security import csp_override, shop_frame_ancestors

PAGE_TITLE = gettext_noop("Stylist questionnaire")
SUBMIT = gettext_noop("Send to the stylist")
INTRO = gettext_noop("A few questions so the stylist can pick what suits you. Fields without “optional” are required.")
FIX = gettext_noop("Please correct the marked fields.")
DONE_AGAIN = gettext_noop("You can correct your answers below.")


def _language(request: HttpRequest, conversation: Conversation | None) -> str:
    asked = request.GET.get("lang") or request.POST.get("lang")
    if asked:
        return language_of(asked)
    if conversation is not None and conversation.language:
        return language_of(conversation.language)
    return language_of(getattr(request, "LANGUAGE_CODE", "en"))


def _refused(request: HttpRequest, key: str, status: int, conversation: Conversation | None = None) -> HttpResponse:
    language = _language(request, conversation)
    return render(
        request,
        "questionnaire/refused.html",
        {"language": language, "title": in_language(PAGE_TITLE, language), "text": shopper_text(key, language)},
        status=status,
    )


# The token, not a cookie, authorises the post; the page is often opened inside a bot's web view.
@csrf_exempt
@xframe_options_exempt
@csp_override(frame_ancestors=shop_frame_ancestors)
@require_http_methods(["GET", "POST"])
def questionnaire_form(request: HttpRequest, token: str) -> HttpResponse:
    try:
        conversation_id = conversation_id_from_token(token)
    except LinkExpired as expired:
        old = Conversation.objects.filter(pk=expired.conversation_id).first() if expired.conversation_id else None
        return _refused(request, "link_expired", 410, old)
    except LinkNotValid:
        return _refused(request, "link_not_valid", 403)
    conversation = Conversation.objects.select_related("queue").filter(pk=conversation_id).first()
    if conversation is None:
        return _refused(request, "link_not_valid", 404)
    language = _language(request, conversation)
    if conversation.state == ConversationState.CLOSED:
        return _refused(request, "consultation_closed", 410, conversation)
    existing = Questionnaire.objects.filter(conversation=conversation, submitted_at__isnull=False).first()
    status = 200
    notice = in_language(DONE_AGAIN, language) if existing else ""
    error = ""
    if request.method == "POST":
        try:
            do_submit_questionnaire(
                conversation_id=conversation.pk, data=request.POST, files=request.FILES, language=language
            )
        except InvalidForm:
            form = QuestionnaireForm(request.POST, request.FILES, language=language)
            form.is_valid()
            error, status = in_language(FIX, language), 400
        except NotFound:
            return _refused(request, "link_not_valid", 404, conversation)
        except ChatError as exc:
            return _refused_text(request, language, exc.message, exc.status)
        else:
            return render(
                request,
                "questionnaire/done.html",
                {
                    "language": language,
                    "title": in_language(PAGE_TITLE, language),
                    "text": shopper_text("questionnaire_received", language),
                },
            )
    else:
        form = QuestionnaireForm(initial=_initial(existing), language=language)
    return render(
        request,
        "questionnaire/form.html",
        {
            "language": language,
            "title": in_language(PAGE_TITLE, language),
            "intro": in_language(INTRO, language),
            "submit": in_language(SUBMIT, language),
            "notice": notice,
            "error": error,
            "form": form,
        },
        status=status,
    )


def _refused_text(request: HttpRequest, language: str, text: str, status: int) -> HttpResponse:
    return render(
        request,
        "questionnaire/refused.html",
        {"language": language, "title": in_language(PAGE_TITLE, language), "text": text},
        status=status,
    )


def _initial(existing: Questionnaire | None) -> dict[str, object]:
    return dict(existing.answers) if existing else {}
