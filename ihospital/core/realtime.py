"""Push events to WebSocket consumers through the channel layer, from any thread of any process.

Callers are sync services, HTTP views (running in asgiref's worker threads), huey tasks (worker
threads of the server process in the embedded mode, or separate processes at scale) and tests. In the
embedded mode the channel layer is in memory, so a push must run on the server's own event loop:
``config.asgi`` remembers that loop and pushes from other threads are handed to it. With Redis every
process reaches every consumer and a push simply runs on whatever loop is at hand.

Pushes are made after commit (``publish_on_commit``), never inside a transaction: a rolled-back change
must not have been announced (Zulip's ``send_event_on_commit``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("ihospital.realtime")

_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread: int | None = None


def remember_server_loop() -> None:
    """Called by the ASGI application on the server's event loop (first connection or request)."""
    global _server_loop, _server_thread
    if _server_loop is not None and not _server_loop.is_closed():
        return
    _server_loop = asyncio.get_running_loop()
    _server_thread = threading.get_ident()


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("realtime push failed: %r", future.exception())


def publish(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` (a dict with a ``type`` naming the consumer handler) to every member of ``group``.

    Best effort, like every live update: a client that misses one reloads its state on reconnect.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    if loop is not None and loop.is_running() and threading.get_ident() != _server_thread:
        asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop).add_done_callback(_log_failure)
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except RuntimeError as error:  # this thread runs an event loop of its own and no server loop is known
        logger.warning("realtime push to %s dropped: %s", group, error)
    except Exception:  # a push must never fail the write that caused it
        logger.exception("realtime push to %s failed", group)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(partial(publish, group, event))
