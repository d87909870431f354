"""How the sandbox's notifications reach the merchant's notify URL (settings.PAYMENT_SANDBOX_TRANSPORT).

``HttpxTransport`` posts over HTTP like a real provider. ``DjangoClientTransport`` posts through Django's
test client, so the notify view runs in this very process: tests need no server and open no socket.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

Answer = tuple[int, str]  # HTTP status (0 when nothing answered) and the start of the body


class Transport(Protocol):
    def post(self, url: str, *, headers: dict[str, str], body: bytes) -> Answer: ...


class HttpxTransport:
    def post(self, url: str, *, headers: dict[str, str], body: bytes) -> Answer:
        try:
            response = httpx.post(
                url,
                content=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=settings.PAYMENT_SANDBOX_NOTIFY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            return 0, f"{type(exc).__name__}: {exc}"[:200]
        return response.status_code, response.text[:200]


class DjangoClientTransport:
    def post(self, url: str, *, headers: dict[str, str], body: bytes) -> Answer:
        from django.test import Client  # only this transport needs the test machinery

        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # A crashing view answers 500, as a real server would, instead of raising into the sandbox.
        client = Client(raise_request_exception=False)
        response = client.generic("POST", path, data=body, content_type="application/json", headers=headers)
        return response.status_code, response.content.decode(errors="replace")[:200]


@cache
def _transport_class(path: str) -> type[Transport]:
    return import_string(path)


def transport() -> Transport:
    return _transport_class(settings.PAYMENT_SANDBOX_TRANSPORT)()
