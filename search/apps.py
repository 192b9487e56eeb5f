from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        """Plug the search endpoint into the workspace API (mounted before any URL is resolved), so
        the workspace never imports this app."""
        from search.api import register

        register()
