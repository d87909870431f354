"""The real ASGI application (HTTP and WebSockets) served by uvicorn in a thread of the test process.

pytest-django's ``live_server`` speaks WSGI only, so it can't carry the consultation room's sockets.
Sharing the process keeps one in-memory channel layer and lets tests call services directly; the test
database must be one other threads can open (a file for SQLite: see DATABASES["default"]["TEST"]).
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn


class AsgiServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            "config.asgi:application", host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-test-server", daemon=True)

    def start(self) -> AsgiServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test ASGI server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
