"""One signed page per consultation: ``/connectors/questionnaire/<token>/``."""

from django.urls import URLPattern, path

from workspace.questionnaire import views

urlpatterns: list[URLPattern] = [
    path("<str:token>/", views.questionnaire_form, name="questionnaire-form"),
]
