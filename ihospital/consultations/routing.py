"""WebSocket routes of this app (gathered by config/routing.py)."""

from django.urls import path

from ihospital.consultations import consumers

websocket_urlpatterns = [
    path("ws/consultations/<uuid:consultation_id>/", consumers.RoomConsumer.as_asgi()),
    path("ws/desk/", consumers.DeskConsumer.as_asgi()),
]
