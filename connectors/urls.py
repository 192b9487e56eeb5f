"""Webhook and widget endpoints, one include per connector."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
