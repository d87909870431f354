"""WebSocket routes of this app (gathered by config/routing.py)."""

websocket_urlpatterns: list = []
