"""WebSocket routes of the workspace (gathered by ``config.routing``)."""

from django.urls import URLPattern, path

from workspace.consumers import WorkspaceConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/workspace/", WorkspaceConsumer.as_asgi()),  # type: ignore[arg-type]
]
