"""Webhook and widget endpoints, one include per connector."""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("widget/", include("connectors.widget.urls")),
    path("telegram/", include("connectors.telegram.urls")),
    path("vk/", include("connectors.vk.urls")),
]
