"""The knowledge base's one write path: categories and articles with their translations.

Views, the demo loader and anything later (pre-shot rules) call these; nothing else writes kb rows.
Input is checked whole before anything is written: a refused save names every bad field
(:class:`ArticleInputError`) and leaves every row as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.errors import Forbidden, InvalidInput, NotFound
from chat.models import Operator
from chat.untrusted import unstorable_reason
from kb.markdown import first_paragraph
from kb.models import BODY_MAX, LANGUAGES, SLUG_MAX, TITLE_MAX, Article, ArticleTranslation, Category

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ArticleInputError(InvalidInput):
    """Refused input, with a message per field (``key``, ``category``, ``en-title``, ``ru-slug``, ...)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True)
class TranslationInput:
    title: str = ""
    slug: str = ""
    body: str = ""
    published: bool = False

    @property
    def empty(self) -> bool:
        return not (self.title.strip() or self.slug.strip() or self.body.strip())


def _check_manager(operator_id: int | None) -> None:
    """``None`` is the project itself (the demo loader); people must be managers."""
    if operator_id is None:
        return
    if not Operator.objects.filter(pk=operator_id, is_manager=True).exists():
        raise Forbidden(_("Only managers can change the knowledge base."))


def _check_slug(value: str, field: str, errors: dict[str, str]) -> str:
    value = value.strip()
    if not value:
        errors[field] = _("Required.")
    elif len(value) > SLUG_MAX or not _SLUG.match(value):
        errors[field] = _("Use up to %(max)s lowercase Latin letters, digits and hyphens, e.g. delivery-times.") % {
            "max": SLUG_MAX
        }
    return value


def _check_text(value: str, field: str, limit: int, errors: dict[str, str]) -> None:
    if not value.strip():
        errors[field] = _("Required.")
    elif len(value) > limit:
        errors[field] = _("At most %(max)s characters.") % {"max": limit}
    elif unstorable_reason(value):
        errors[field] = _("Contains a character that cannot be stored; remove it.")


def _check_translations(
    translations: dict[str, TranslationInput], article_id: int | None, errors: dict[str, str]
) -> dict[str, TranslationInput]:
    kept: dict[str, TranslationInput] = {}
    for language in LANGUAGES:
        given = translations.get(language)
        if given is None or given.empty:
            continue
        slug = _check_slug(given.slug, f"{language}-slug", errors)
        _check_text(given.title, f"{language}-title", TITLE_MAX, errors)
        _check_text(given.body, f"{language}-body", BODY_MAX, errors)
        taken = ArticleTranslation.objects.filter(language=language, slug=slug)
        if article_id is not None:
            taken = taken.exclude(article_id=article_id)
        if slug and f"{language}-slug" not in errors and taken.exists():
            errors[f"{language}-slug"] = _("Another article already has this address.")
        kept[language] = TranslationInput(
            title=given.title.strip(), slug=slug, body=given.body, published=given.published
        )
    unknown = set(translations) - set(LANGUAGES)
    if unknown:
        errors["language"] = _("Unknown language: %(codes)s.") % {"codes": ", ".join(sorted(unknown))}
    if not kept and not errors:
        errors["translations"] = _("Write the article in at least one language.")
    return kept


@transaction.atomic
def do_save_article(
    *,
    operator_id: int | None,
    key: str,
    category_id: int | None,
    translations: dict[str, TranslationInput],
    article_id: int | None = None,
) -> Article:
    """Create (``article_id=None``) or update an article and its translations in one transaction.

    A language left empty (no title, address or text) means the article is not written in it: an
    existing translation in that language is removed.
    """
    _check_manager(operator_id)
    article: Article | None = None
    if article_id is not None:
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound()
    errors: dict[str, str] = {}
    key = _check_slug(key, "key", errors)
    if key and "key" not in errors and Article.objects.filter(key=key).exclude(pk=article_id or 0).exists():
        errors["key"] = _("Another article already has this key.")
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    if category is None:
        errors["category"] = _("Choose a category.")
    kept = _check_translations(translations, article_id, errors)
    if errors:
        raise ArticleInputError(errors)
    assert category is not None
    if article is None:
        article = Article.objects.create(key=key, category=category)
    else:
        article.key, article.category = key, category
        article.save(update_fields=["key", "category"])
    now = timezone.now()
    existing = {t.language: t for t in article.translations.select_for_update()}
    for language, given in kept.items():
        translation = existing.get(language) or ArticleTranslation(article=article, language=language)
        changed = (translation.title, translation.slug, translation.body, translation.published) != (
            given.title,
            given.slug,
            given.body,
            given.published,
        )
        if translation.pk is None or changed:
            translation.title, translation.slug, translation.body = given.title, given.slug, given.body
            translation.published = given.published
            translation.summary = first_paragraph(given.body)
            translation.updated_at = now
            translation.save()
    ArticleTranslation.objects.filter(article=article).exclude(language__in=list(kept)).delete()
    return article


@transaction.atomic
def do_save_category(*, operator_id: int | None, slug: str, name_en: str, name_ru: str, position: int = 0) -> Category:
    """Create a category, or rename the one with this slug."""
    _check_manager(operator_id)
    errors: dict[str, str] = {}
    slug = _check_slug(slug, "slug", errors)
    for field, value in (("name_en", name_en), ("name_ru", name_ru)):
        _check_text(value, field, 120, errors)
    if errors:
        raise ArticleInputError(errors)
    category, _created = Category.objects.update_or_create(
        slug=slug, defaults={"name_en": name_en.strip(), "name_ru": name_ru.strip(), "position": position}
    )
    return category
