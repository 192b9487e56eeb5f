"""Categories and articles; an article holds one translation per language (ru, en), either or both.

On PostgreSQL each translation also has ``search_vector``, a generated ``tsvector`` column made in the
language's own text search configuration (``russian`` or ``english``) with a GIN index, and a trigram
index on the title (migration 0002); Django does not model them, :mod:`kb.search` reads them in SQL.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "ru")
SLUG_MAX = 80
TITLE_MAX = 200
BODY_MAX = 50_000


class Category(models.Model):
    slug = models.SlugField(max_length=SLUG_MAX, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return (self.name_ru if language == "ru" else self.name_en) or self.name_en or self.name_ru


class Article(models.Model):
    """What the translations share: the category, and a stable key other features link to."""

    key = models.SlugField(max_length=SLUG_MAX, unique=True, help_text=_("Stable name other features link to."))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.key


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=2, choices=[("en", "English"), ("ru", "Русский")])
    slug = models.SlugField(max_length=SLUG_MAX, allow_unicode=False)
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField(help_text=_("Markdown."))
    # Plain text of the first paragraph: what the search shows and what an operator inserts.
    summary = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ("article_id", "language")
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="kb_one_translation_per_language"),
            models.UniqueConstraint(fields=["language", "slug"], name="kb_slug_unique_per_language"),
            models.CheckConstraint(condition=models.Q(language__in=LANGUAGES), name="kb_language_known"),
        ]
        indexes = [models.Index(fields=["language", "published"], name="kb_translation_lang_pub")]

    def __str__(self) -> str:
        return f"{self.language}: {self.title}"

    def get_absolute_url(self) -> str:
        return f"/help/{self.language}/{self.slug}/"
