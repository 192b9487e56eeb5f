"""HTTP endpoints of the widget, under /connectors/widget/."""

from django.urls import URLPattern, path

from connectors.widget import views

urlpatterns: list[URLPattern] = [
    path("session/", views.session, name="widget-session"),
    path("status/", views.status, name="widget-status"),
    path("strings/", views.strings, name="widget-strings"),
    path("offline/", views.offline, name="widget-offline"),
    path("upload/", views.upload, name="widget-upload"),
]
