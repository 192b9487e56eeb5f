"""Setting up the lists a shop starts with: operators, queues, reasons, canned replies."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from chat.errors import InvalidInput
from chat.models import CannedReply, Operator, Queue, Reason, Skill


def do_ensure_queue(*, slug: str, name: str, skill_slug: str, skill_name: str) -> Queue:
    skill, _ = Skill.objects.get_or_create(slug=skill_slug, defaults={"name": skill_name})
    queue, _ = Queue.objects.get_or_create(slug=slug, defaults={"name": name, "skill": skill})
    return queue


@transaction.atomic
def do_create_operator(
    *,
    username: str,
    password: str,
    display_name: str,
    skills: Iterable[str] = ("general",),
    cap: int | None = None,
    is_manager: bool = False,
    language: str = "en",
) -> Operator:
    """A login and its operator profile. The cap may be lowered below the site-wide one, never raised."""
    cap = settings.SWITCHBOARD_MAX_CHATS if cap is None else cap
    if not 1 <= cap <= settings.SWITCHBOARD_MAX_CHATS:
        raise InvalidInput(f"The chat limit must be between 1 and {settings.SWITCHBOARD_MAX_CHATS}.")
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = is_manager
    user.is_superuser = is_manager
    user.save()
    operator, _ = Operator.objects.update_or_create(
        user=user, defaults={"display_name": display_name, "cap": cap, "is_manager": is_manager, "language": language}
    )
    operator.skills.set([Skill.objects.get_or_create(slug=s, defaults={"name": s.title()})[0] for s in skills])
    return operator


def do_ensure_reason(*, slug: str, category: str, name_en: str, name_ru: str, position: int = 0) -> Reason:
    reason, _ = Reason.objects.get_or_create(
        slug=slug, defaults={"category": category, "name_en": name_en, "name_ru": name_ru, "position": position}
    )
    return reason


def do_ensure_canned_reply(*, shortcut: str, language: str, text: str) -> CannedReply:
    reply, _ = CannedReply.objects.get_or_create(shortcut=shortcut, language=language, defaults={"text": text})
    return reply
