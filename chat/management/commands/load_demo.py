"""``manage.py load_demo``: the demo shop's data, then the URLs and logins to try it with."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from chat.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_demo()
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Switchboard demo"))
        self.stdout.write(f"  Demo shop (widget in the footer): {site}/")
        self.stdout.write(f"  Operator workspace:               {site}/workspace/")
        self.stdout.write(f"  Admin:                            {site}/admin/")
        self.stdout.write("  Logins (user / password / role):")
        for login, password, role in logins:
            self.stdout.write(f"    {login:<8} / {password} / {role}")
        self.stdout.write("")
