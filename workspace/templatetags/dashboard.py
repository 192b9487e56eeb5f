"""Template helpers for the dashboards."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from workspace.models import TargetMetric

register = template.Library()


@register.simple_tag
def target_labels_script() -> SafeString:
    """Every target's name in the page's language, for alerts.js (alerts are pushed in none)."""
    return json_script({value: str(label) for value, label in TargetMetric.choices}, "target-labels")
