"""ASGI entry point: HTTP through Django, WebSockets through Channels routing."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from chat.periodic import StartsPeriodicWork  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

http_app: Any = ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_FILES else django_asgi_app
if settings.BENCH_WEBHOOK_FLOOR:  # the benchmark's bare endpoint, never on in a deployment
    from bench.floor.webhook import with_webhook_floor

    http_app = with_webhook_floor(http_app)

# Without a broker (the embedded default) the server runs the periodic work itself.
application = StartsPeriodicWork(
    ProtocolTypeRouter(
        {
            "http": http_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
