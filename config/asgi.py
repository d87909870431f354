"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by uvicorn)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry loaded above)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from ihospital.accounts.ws_auth import BearerTokenAuthMiddleware  # noqa: E402
from ihospital.core import realtime  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(BearerTokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)


async def application(scope, receive, send):
    # Pushes from worker threads (huey in the embedded mode) are handed to this loop: see core.realtime.
    realtime.remember_server_loop()
    await router(scope, receive, send)
