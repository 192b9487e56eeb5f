"""Workspace pages, the demo shop and the JSON API."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from workspace import customers, files, history, views
from workspace.api import api
from workspace.auth import ThrottledAuthenticationForm

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.demo_shop, name="demo-shop"),
    path(
        "workspace/login/",
        auth_views.LoginView.as_view(template_name="workspace/login.html", form_class=ThrottledAuthenticationForm),
        name="login",
    ),
    path("workspace/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/", views.workspace_home, name="workspace"),
    path("workspace/dashboards/", include("workspace.dashboard_urls")),
    path("workspace/customers/<int:contact_id>/", customers.customer_detail, name="customer-detail"),
    path("workspace/customers/<int:contact_id>/merge/", customers.merge_customer, name="customer-merge"),
    path(
        "workspace/customers/<int:contact_id>/merges/<int:merge_id>/undo/",
        customers.undo_merge,
        name="customer-merge-undo",
    ),
    path("workspace/customers/<int:contact_id>/notes/", customers.add_note, name="customer-note-add"),
    path("workspace/customers/<int:contact_id>/notes/<int:note_id>/", customers.edit_note, name="customer-note-edit"),
    path("workspace/history/", history.history_list, name="history-list"),
    path("workspace/history/<int:conversation_id>/", history.history_transcript, name="history-transcript"),
    path("workspace/history/<int:conversation_id>/reopen/", history.reopen, name="history-reopen"),
    path("workspace/history/<int:conversation_id>/write-again/", history.write_again, name="history-write-again"),
    path("workspace/history/export/", history.export_page, name="history-export"),
    path(
        "workspace/history/export/<slug:table>.<slug:file_format>",
        history.export_file,
        name="history-export-file",
    ),
    path("workspace/attachments/<int:attachment_id>/", files.attachment, name="attachment"),
    path(
        "workspace/questionnaires/<int:conversation_id>/photo/", files.questionnaire_photo, name="questionnaire-photo"
    ),
    path("files/<str:token>/", files.signed_file, name="signed-file"),
    path("files/shopper/<str:token>/", files.shopper_file, name="shopper-file"),
    path("api/", api.urls),
]
