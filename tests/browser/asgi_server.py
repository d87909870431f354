"""The real ASGI application (HTTP and WebSockets) served by uvicorn in a thread of the test process.

pytest-django's ``live_server`` speaks WSGI only, so it can't carry the consultation room's sockets.
Sharing the process keeps one in-memory channel layer and lets tests call services directly; the test
database must be one other threads can open (a file for SQLite: see DATABASES["default"]["TEST"]).
"""

from __future__ import annotations

import socket
import threading

import httpx
import uvicorn
from channels.layers import channel_layers

START_SECONDS = 10


class _Server(uvicorn.Server):
    """uvicorn's server, telling a waiting thread the moment it listens (or that it gave up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()  # listening, or failed (then `started` stays False)


class AsgiServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            "config.asgi:application", host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = _Server(config)
        self.thread = threading.Thread(target=self._run, name="asgi-test-server", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        finally:
            self.server.ready.set()  # it could not even start: don't leave start() waiting

    def start(self) -> AsgiServer:
        # A fresh channel layer for this server's event loop: a Redis layer remembers the loop that last
        # received on it, and one left from an earlier module's (stopped) server refuses this loop with
        # "Two event loops are trying to receive() on one channel layer at once".
        channel_layers.backends.clear()
        self.thread.start()
        if not self.server.ready.wait(START_SECONDS) or not self.server.started:
            raise RuntimeError("the test ASGI server did not start")
        health = httpx.get(f"{self.url}/healthz", timeout=START_SECONDS)
        if health.status_code != 200:
            raise RuntimeError(f"the test ASGI server answers /healthz with {health.status_code}")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        # and a fresh one for whatever runs next (a WebSocket test on its own loop), for the same reason
        channel_layers.backends.clear()
