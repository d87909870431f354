"""Every WebSocket route, gathered from the apps' own ``routing.py`` (the URLconf of Channels)."""

from ihospital.consultations.routing import websocket_urlpatterns as consultations
from ihospital.notifications.routing import websocket_urlpatterns as notifications
from ihospital.prescriptions.routing import websocket_urlpatterns as prescriptions

websocket_urlpatterns = [*notifications, *consultations, *prescriptions]
