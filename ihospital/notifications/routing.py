"""WebSocket routes of this app (gathered by config/routing.py)."""

from django.urls import path

from ihospital.notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
