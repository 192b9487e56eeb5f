"""URL map: the demo shop, the workspace and its API, connectors' webhooks, the admin."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # Pages without our templates (the admin, the API docs) get the icon where browsers look for it.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("workspace.urls")),
    path("connectors/", include("connectors.urls")),
]

if settings.SERVE_FILES:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
