"""Serving the gateway: waitress (a pure-Python, multi-threaded WSGI server) on GATEWAY_HOST:GATEWAY_PORT.

``ihospital gateway`` runs ``serve()`` in the foreground; ``ihospital demo`` and the tests use
``start_in_thread()`` to have one beside the app (or the test) in the same process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from waitress.server import create_server

from gateway.app import make_app

logger = logging.getLogger("gateway")


@dataclass
class Running:
    server: object
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/his"

    def stop(self) -> None:
        """Close the listener and every open (kept-alive) connection, so the loop ends."""
        server: Any = self.server
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            channel.close()
        self.thread.join(timeout=5)


def _server(host: str, port: int, threads: int, app: object | None = None) -> object:
    # clear_untrusted_proxy_headers: REMOTE_ADDR is the peer, never a header the caller sent.
    return create_server(
        app or make_app(),
        host=host,
        port=port,
        threads=threads,
        ident="his-gateway",
        clear_untrusted_proxy_headers=True,
    )


def _preload() -> None:
    """The HIS backend's module may name work to do once before listening (``preload()``: the simulated
    HIS imports pydicom, ~1 s, which its first ExamImage would otherwise pay)."""
    from django.conf import settings

    module = import_module(settings.GATEWAY_HIS_BACKEND.rsplit(".", 1)[0])
    preload = getattr(module, "preload", None)
    if callable(preload):
        preload()


def serve(host: str, port: int, threads: int) -> None:
    _preload()
    server = _server(host, port, threads)
    logger.warning("HIS gateway listening on http://%s:%s/his (WSDL: ?wsdl)", host, server.effective_port)  # type: ignore[attr-defined]
    server.run()  # type: ignore[attr-defined]


def start_in_thread(host: str = "127.0.0.1", port: int = 0, threads: int = 4, app: object | None = None) -> Running:
    """Listen now (port 0: any free one), serve from a daemon thread; ``stop()`` closes it."""
    server = _server(host, port, threads, app)

    def run() -> None:
        try:
            server.run()  # type: ignore[attr-defined]
        except (OSError, ValueError):  # stop() closed the sockets under the loop: that is how it ends
            pass

    thread = threading.Thread(target=run, name="his-gateway", daemon=True)
    thread.start()
    return Running(server=server, thread=thread, port=int(server.effective_port))  # type: ignore[attr-defined]
