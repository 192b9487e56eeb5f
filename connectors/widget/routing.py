"""The widget's WebSocket route; config/routing.py gathers it."""

from django.urls import URLPattern, path

from connectors.widget.consumers import WidgetConsumer

websocket_urlpatterns: list[URLPattern] = [path("ws/widget/", WidgetConsumer.as_asgi())]
