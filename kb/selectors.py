"""Reads of the knowledge base for the editor and the public pages."""

from __future__ import annotations

from django.db.models import Max, Prefetch, QuerySet

from kb.models import Article, ArticleTranslation, Category


def articles_for_list() -> QuerySet[Article]:
    return (
        Article.objects.select_related("category")
        .prefetch_related(Prefetch("translations", queryset=ArticleTranslation.objects.order_by("language")))
        .annotate(last_updated=Max("translations__updated_at"))
        .order_by("category__position", "category_id", "key")
    )


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def published_translation(*, language: str, slug: str) -> ArticleTranslation | None:
    return (
        ArticleTranslation.objects.select_related("article__category")
        .filter(language=language, slug=slug, published=True)
        .first()
    )
