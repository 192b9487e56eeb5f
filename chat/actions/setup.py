"""Setting up the lists a shop starts with: operators, queues, reasons, canned replies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from chat.actions._common import retry_on_conflict
from chat.actions.assignment import do_assign_waiting
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
    check_cap(cap)
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    user.set_password(password)
    _grant_admin(user, is_manager=is_manager)
    user.save()
    operator, _ = Operator.objects.update_or_create(
        user=user, defaults={"display_name": display_name, "cap": cap, "is_manager": is_manager, "language": language}
    )
    operator.skills.set([Skill.objects.get_or_create(slug=s, defaults={"name": s.title()})[0] for s in skills])
    return operator


def check_cap(cap: int) -> None:
    if not 1 <= cap <= settings.SWITCHBOARD_MAX_CHATS:
        raise InvalidInput(f"The chat limit must be between 1 and {settings.SWITCHBOARD_MAX_CHATS}.")


def _grant_admin(user: Any, *, is_manager: bool) -> None:
    """A manager keeps the lists in the admin; an operator who is not one has no admin login."""
    user.is_staff = is_manager
    user.is_superuser = is_manager


@retry_on_conflict
def do_save_operator(
    *,
    operator_id: int | None,
    user_id: int,
    display_name: str,
    cap: int,
    skills: Iterable[Skill],
    is_manager: bool,
    language: str,
) -> Operator:
    """Create or change an operator's profile as the admin does (``operator_id`` None: a new one).

    The login's admin rights follow the manager flag, as ``do_create_operator`` sets them, and a
    chat waiting for a slot is assigned at once when the cap grows or a skill is added.
    """
    check_cap(cap)
    with transaction.atomic():
        if operator_id is None:
            operator = Operator(user_id=user_id)
            old_cap, old_skills = 0, set()
        else:
            operator = Operator.objects.select_for_update().get(pk=operator_id)
            old_cap, old_skills = operator.cap, set(operator.skills.values_list("pk", flat=True))
        operator.user_id = user_id
        operator.display_name = display_name
        operator.cap = cap
        operator.is_manager = is_manager
        operator.language = language
        operator.save()
        new_skills = {skill.pk for skill in skills}
        if new_skills != old_skills:
            operator.skills.set(new_skills)
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        _grant_admin(user, is_manager=is_manager)
        user.save(update_fields=["is_staff", "is_superuser"])
        if cap > old_cap or new_skills - old_skills:
            transaction.on_commit(do_assign_waiting, robust=True)
        return operator


def do_ensure_reason(*, slug: str, category: str, name_en: str, name_ru: str, position: int = 0) -> Reason:
    reason, _ = Reason.objects.get_or_create(
        slug=slug, defaults={"category": category, "name_en": name_en, "name_ru": name_ru, "position": position}
    )
    return reason


def do_ensure_canned_reply(*, shortcut: str, language: str, text: str) -> CannedReply:
    reply, _ = CannedReply.objects.get_or_create(shortcut=shortcut, language=language, defaults={"text": text})
    return reply
