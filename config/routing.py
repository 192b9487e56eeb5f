"""WebSocket routes of every app, gathered in one list.

Imported plainly: a route module that fails to import stops the server loudly instead of leaving a
socket that silently never connects.
"""

from django.urls import URLPattern

from connectors.widget.routing import websocket_urlpatterns as widget_ws
from workspace.routing import websocket_urlpatterns as workspace_ws

websocket_urlpatterns: list[URLPattern] = [*widget_ws, *workspace_ws]
