"""Django admin for the lists a manager keeps: operators, queues, skills, reasons, canned replies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chat.actions.setup import do_save_operator
from chat.models import CannedReply, Contact, Conversation, DataAuditRecord, Identity, Operator, Queue, Reason, Skill


class OperatorForm(forms.ModelForm):
    class Meta:
        model = Operator
        fields = ["user", "display_name", "cap", "skills", "is_manager", "language"]

    def clean_cap(self) -> int:
        cap = self.cleaned_data["cap"]
        if cap < 1:
            raise forms.ValidationError(_("At least one chat at once."))
        if cap > settings.SWITCHBOARD_MAX_CHATS:
            raise forms.ValidationError(
                _("At most %(max)d chats at once: a limit may be lowered, never raised.")
                % {"max": settings.SWITCHBOARD_MAX_CHATS}
            )
        return cap


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    form = OperatorForm
    list_display = ["display_name", "status", "active_count", "cap", "is_manager"]
    list_filter = ["status", "skills", "is_manager"]
    readonly_fields = ["status", "active_count"]
    filter_horizontal = ["skills"]

    def save_model(self, request: HttpRequest, obj: Operator, form: forms.ModelForm, change: bool) -> None:
        """Through the action, so the login's admin rights follow the manager flag and a grown cap
        or a new skill assigns a waiting chat at once (the skills are saved here too)."""
        data = form.cleaned_data
        saved = do_save_operator(
            operator_id=obj.pk if change else None,
            user_id=data["user"].pk,
            display_name=data["display_name"],
            cap=data["cap"],
            skills=data["skills"],
            is_manager=data["is_manager"],
            language=data["language"],
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        """The skills were saved by ``save_model``'s action; only inlines (none today) are left."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "skill", "first_reply_timeout_seconds"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_ru", "category", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["category", "is_active"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "language", "text"]
    search_fields = ["shortcut", "text"]


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    readonly_fields = ["connector", "external_id", "display_name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "customer_id", "created_at"]
    search_fields = ["name", "email", "phone", "customer_id"]
    inlines = [IdentityInline]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Read-only: conversations change only through the workspace and its actions."""

    list_display = ["id", "connector", "state", "queue", "operator", "created_at", "closed_at"]
    list_filter = ["state", "connector", "queue"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(DataAuditRecord)
class DataAuditRecordAdmin(admin.ModelAdmin):
    """Read-only: the record of who exported or erased whose data is never edited or removed."""

    list_display = ["at", "kind", "contact_id", "actor_name"]
    list_filter = ["kind"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
