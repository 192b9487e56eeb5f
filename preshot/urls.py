"""The managers' pre-shot rules under /workspace/preshot/, and the widget's pre-shot panel under
/connectors/widget/preshot/."""

from django.urls import URLPattern, path

from preshot import views, widget

urlpatterns: list[URLPattern] = [
    path("", views.rule_list, name="preshot-rules"),
    path("new/", views.rule_edit, name="preshot-rule-new"),
    path("<int:rule_id>/", views.rule_edit, name="preshot-rule-edit"),
    path("<int:rule_id>/delete/", views.rule_delete, name="preshot-rule-delete"),
]

widget_urlpatterns: list[URLPattern] = [
    path("", widget.stage, name="widget-preshot"),
    path("opened/", widget.opened, name="widget-preshot-opened"),
    path("help/", widget.still_need_help, name="widget-preshot-help"),
    path("notices/", widget.notices, name="widget-preshot-notices"),
]
