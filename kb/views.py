"""Knowledge base pages: the workspace's list and editor, the public article page, and the public
help search the widget calls. Thin: reads through :mod:`kb.selectors` / :mod:`kb.search`, writes
through :mod:`kb.actions`.

Operators read the list (they answer with the articles); only managers write: the editor refuses
anyone else with 403 on GET and POST alike.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chat.errors import ChatError
from chat.models import Operator
from chat.throttle import request_ip
from connectors.widget.views import check_rate, widget_endpoint
from kb import selectors
from kb.actions import ArticleInputError, TranslationInput, do_save_article, do_save_category
from kb.markdown import render_markdown
from kb.models import LANGUAGES, Article
from kb.search import clean_language, search_articles
from workspace.views import activate_operator_language

LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def _operator(request: HttpRequest) -> Operator:
    operator = Operator.objects.filter(user_id=int(request.user.pk or 0)).first()
    if operator is None:
        raise PermissionDenied("Operators only.")
    activate_operator_language(request, operator)
    return operator


def _manager(request: HttpRequest) -> Operator:
    operator = _operator(request)
    if not operator.is_manager:
        raise PermissionDenied("Managers only.")
    return operator


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    return render(
        request,
        "kb/article_list.html",
        {
            "viewer": operator,
            "manager": operator.is_manager,
            "articles": selectors.articles_for_list(),
            "categories": selectors.categories(),
        },
    )


def _translations_from(post: QueryDict) -> dict[str, TranslationInput]:
    get = post.get
    return {
        language: TranslationInput(
            title=get(f"{language}-title", ""),
            slug=get(f"{language}-slug", ""),
            body=get(f"{language}-body", ""),
            published=get(f"{language}-published") == "on",
        )
        for language in LANGUAGES
    }


def _form_languages(translations: dict[str, TranslationInput], show_preview: bool) -> list[dict[str, object]]:
    return [
        {
            "code": language,
            "name": LANGUAGE_NAMES[language],
            "value": given,
            "preview": mark_safe(render_markdown(given.body)) if show_preview and given.body.strip() else "",  # noqa: S308 - rendered safe
        }
        for language, given in translations.items()
    ]


@login_required
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    """New or existing article. "Preview" shows both languages rendered, saving nothing; "Save" saves."""
    manager = _manager(request)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    article = Article.objects.filter(pk=article_id).first() if article_id is not None else None
    if article_id is not None and article is None:
        raise Http404()
    errors: dict[str, str] = {}
    if request.method == "POST":
        translations = _translations_from(request.POST)
        key, category = request.POST.get("key", ""), request.POST.get("category", "")
        category_id = int(category) if category.isdigit() and len(category) < 18 else None
        if request.POST.get("action") == "save":
            try:
                saved = do_save_article(
                    operator_id=manager.pk,
                    article_id=article_id,
                    key=key,
                    category_id=category_id,
                    translations=translations,
                )
            except ArticleInputError as exc:
                errors = exc.errors
            else:
                messages.success(request, _("Article “%(key)s” saved.") % {"key": saved.key})
                return redirect("kb-article-edit", article_id=saved.pk)
        show_preview = True
    else:
        existing = {t.language: t for t in article.translations.all()} if article else {}
        translations = {
            language: TranslationInput(title=t.title, slug=t.slug, body=t.body, published=t.published)
            if (t := existing.get(language))
            else TranslationInput()
            for language in LANGUAGES
        }
        key = article.key if article else ""
        category_id = article.category_id if article else None
        show_preview = article is not None
    return render(
        request,
        "kb/article_edit.html",
        {
            "viewer": manager,
            "manager": True,
            "article": article,
            "key": key,
            "category_id": category_id,
            "categories": selectors.categories(),
            "languages": _form_languages(translations, show_preview),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
def category_create(request: HttpRequest) -> HttpResponse:
    manager = _manager(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        category = do_save_category(
            operator_id=manager.pk,
            slug=request.POST.get("slug", ""),
            name_en=request.POST.get("name_en", ""),
            name_ru=request.POST.get("name_ru", ""),
        )
    except ChatError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Category “%(name)s” saved.") % {"name": category.localized_name()})
    return redirect(reverse("kb-articles"))


@require_GET
def public_article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    """A published article for anyone, in its own language whatever the browser's."""
    if language not in LANGUAGES:
        raise Http404()
    found = selectors.published_translation(language=language, slug=slug)
    if found is None:
        raise Http404()
    others = found.article.translations.filter(published=True).exclude(pk=found.pk)
    with translation.override(language):
        return render(
            request,
            "kb/public_article.html",
            {
                "translation": found,
                "language": language,
                "html": mark_safe(render_markdown(found.body)),  # noqa: S308 - rendered safe
                "category": found.article.category.localized_name(language),
                "others": [(t, LANGUAGE_NAMES[t.language]) for t in others],
            },
        )


def widget_labels() -> dict[str, str]:
    """The widget's help search texts, in the active language (the widget shows what it gets)."""
    return {
        "title": _("Find an answer"),
        "placeholder": _("Ask a question, e.g. where is my order"),
        "search": _("Search"),
        "nothing": _("No answer found. Write to us below."),
        "read": _("Read the answer"),
        "results": _("Answers"),
    }


@widget_endpoint("GET")
def help_search(request: HttpRequest) -> HttpResponse:
    """``?q=&lang=`` -> the best three published answers, and the widget's texts, in that language.

    Public and cookie-free like the widget's other endpoints (any origin), rate limited per address.
    An empty ``q`` answers the texts alone: the widget asks for them when the shopper opens help.
    """
    language = clean_language(request.GET.get("lang"))
    check_rate(request, [("help_search_ip", request_ip(request))], language)
    query = request.GET.get("q", "")
    with translation.override(language):
        labels = widget_labels()
    answers = search_articles(query, language)
    return JsonResponse(
        {
            "query": query,
            "language": language,
            "results": [a.as_json(request.build_absolute_uri("/")) for a in answers],
            "labels": labels,
        }
    )
