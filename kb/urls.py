"""Knowledge base URLs: the editor under /workspace/kb/, public pages and search under /help/."""

from django.urls import URLPattern, path

from kb import views

workspace_urlpatterns: list[URLPattern] = [
    path("", views.article_list, name="kb-articles"),
    path("new/", views.article_edit, name="kb-article-new"),
    path("<int:article_id>/", views.article_edit, name="kb-article-edit"),
    path("categories/", views.category_create, name="kb-category-create"),
]

public_urlpatterns: list[URLPattern] = [
    path("search.json", views.help_search, name="help-search"),
    path("<str:language>/<slug:slug>/", views.public_article, name="help-article"),
]
