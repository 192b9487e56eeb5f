"""Print a JSON API token for an operator (revoked by changing their password)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.models import Operator
from workspace.tokens import issue_api_token


class Command(BaseCommand):
    help = "Print an API token for the operator with this login: send it as 'Authorization: Bearer <token>'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = Operator.objects.select_related("user").filter(user__username=options["login"]).first()
        if operator is None:
            raise CommandError(f"No operator with the login {options['login']!r}.")
        self.stdout.write(issue_api_token(operator))
