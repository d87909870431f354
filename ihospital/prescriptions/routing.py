"""WebSocket routes of this app (gathered by config/routing.py)."""

from django.urls import path

from ihospital.prescriptions import consumers

websocket_urlpatterns = [path("ws/prescriptions/review/", consumers.ReviewQueueConsumer.as_asgi())]
