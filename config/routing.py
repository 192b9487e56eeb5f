"""WebSocket routes of every app, gathered in one list."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []

try:
    from connectors.widget.routing import websocket_urlpatterns as widget_ws
except ImportError:  # pragma: no cover - the widget app adds this module
    widget_ws = []
try:
    from workspace.routing import websocket_urlpatterns as workspace_ws
except ImportError:  # pragma: no cover - the workspace app adds this module
    workspace_ws = []

websocket_urlpatterns += widget_ws + workspace_ws
