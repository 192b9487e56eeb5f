"""Workspace pages. Thin: they read through selectors and write through ``chat.actions``."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


def demo_shop(request: HttpRequest) -> HttpResponse:
    """A plain storefront page with a footer, embedding the chat widget."""
    return render(request, "workspace/demo_shop.html")


@login_required
@ensure_csrf_cookie
def workspace_home(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/home.html")
