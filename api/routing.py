"""WebSocket routes (the events consumer arrives with the real-time work)."""

websocket_urlpatterns: list = []
