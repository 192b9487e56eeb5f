"""URL map: the demo shop, the workspace and its API, connectors' webhooks, the admin.

Stored files are never served from a public /media/ path: only through workspace.files, which checks
who is asking.
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from kb import urls as kb_urls
from orders.shop_api import shop_api
from preshot import urls as preshot_urls


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # Pages without our templates (the admin, the API docs) get the icon where browsers look for it.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    # The shop pushes its customers and orders here (before the workspace's /api/).
    path("api/shop/v1/", shop_api.urls),
    path("workspace/kb/", include(kb_urls.workspace_urlpatterns)),
    path("help/", include(kb_urls.public_urlpatterns)),
    path("workspace/search/", include("search.urls")),
    path("workspace/preshot/", include("preshot.urls")),
    path("", include("workspace.urls")),
    # The shoppers' questionnaire page is a screen, kept at the address links already sent carry.
    path("connectors/questionnaire/", include("workspace.questionnaire.urls")),
    # The widget's pre-shot panel: preshot's own endpoints, beside the widget's (connectors never import preshot).
    path("connectors/widget/preshot/", include(preshot_urls.widget_urlpatterns)),
    path("connectors/", include("connectors.urls")),
]
