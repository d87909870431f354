"""How ``CloudVideoProvider`` reaches the platform (settings.CLOUD_VIDEO_TRANSPORT).

``HttpxTransport`` posts over HTTP with timeouts. ``DjangoClientTransport`` posts through Django's test
client, so the sandbox's views answer in this very process: tests need no server and open no socket.
The payment sandbox has a transport too, but it keeps only the start of an answer (enough for a
notification's acknowledgement); the video adapter needs the whole JSON body.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ihospital.integrations.video.base import VideoError

Answer = tuple[int, bytes]  # HTTP status and body


class Transport(Protocol):
    def post(self, url: str, *, headers: dict[str, str], body: bytes) -> Answer:
        """Raises a transient VideoError when nothing answered (timeout, refused connection)."""


class HttpxTransport:
    def post(self, url: str, *, headers: dict[str, str], body: bytes) -> Answer:
        try:
            response = httpx.post(
                url,
                content=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=httpx.Timeout(settings.CLOUD_VIDEO_TIMEOUT_SECONDS),
            )
        except httpx.TimeoutException:
            raise VideoError(_("The video platform did not answer in time.")) from None
        except httpx.HTTPError as exc:
            raise VideoError(_("The video platform could not be reached: %(error)s") % {"error": exc}) from None
        return response.status_code, response.content


class DjangoClientTransport:
    def post(self, url: str, *, headers: dict[str, str], body: bytes) -> Answer:
        from django.test import Client  # only this transport needs the test machinery

        parts = urlsplit(url)
        # A crashing view answers 500, as a real server would, instead of raising into the adapter.
        client = Client(raise_request_exception=False)
        response = client.generic("POST", parts.path, data=body, content_type="application/json", headers=headers)
        return response.status_code, response.content


@cache
def _transport_class(path: str) -> type[Transport]:
    return import_string(path)


def transport() -> Transport:
    return _transport_class(settings.CLOUD_VIDEO_TRANSPORT)()
