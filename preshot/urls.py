"""The managers' pre-shot rules under /workspace/preshot/."""

from django.urls import URLPattern, path

from preshot import views

urlpatterns: list[URLPattern] = [
    path("", views.rule_list, name="preshot-rules"),
    path("new/", views.rule_edit, name="preshot-rule-new"),
    path("<int:rule_id>/", views.rule_edit, name="preshot-rule-edit"),
    path("<int:rule_id>/delete/", views.rule_delete, name="preshot-rule-delete"),
]
