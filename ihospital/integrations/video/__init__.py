"""Video: the configured provider (settings.VIDEO_PROVIDER) behind ``base.VideoProvider``.

``BuiltinWebRTCProvider`` (browser to browser, our own signaling and TURN) is the default;
``cloud.CloudVideoProvider`` hands meetings to the cloud video platform. Call ``provider()`` outside any
transaction: the cloud provider talks over the network. Ending a meeting is an outbox message (topic
``video.meeting_close``, delivered by ``close_from_outbox``), written in the transaction that ends the visit.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ihospital.integrations.video.base import VideoError, VideoProvider

logger = logging.getLogger(__name__)


@cache
def provider() -> VideoProvider:
    return import_string(settings.VIDEO_PROVIDER)()


@receiver(setting_changed)
def _forget_provider(*, setting: str, **kwargs) -> None:
    # Adapters read their credentials once, when built.
    if setting.startswith(("VIDEO_", "CLOUD_VIDEO_")):
        provider.cache_clear()


def close_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    """End the meeting ``payload["meeting_id"]`` opened on provider ``payload["provider"]``.

    A transient VideoError propagates (the outbox retries); a permanent one parks the message dead, except
    NOT_FOUND: a meeting the platform does not know has nobody left to let in. A meeting opened on another
    provider than the configured one cannot be ended from here: dead, for an administrator.
    """
    current = provider()
    if payload.get("provider") and payload["provider"] != current.name:
        raise VideoError(
            f"meeting {payload['meeting_id']} is on provider {payload['provider']!r}, not on {current.name!r}",
            code=VideoError.INVALID_REQUEST,
            permanent=True,
        )
    try:
        current.delete_meeting(payload["meeting_id"])
    except VideoError as error:
        if error.code != VideoError.NOT_FOUND:
            raise
        logger.warning("video meeting %s unknown to %s: nothing to close", payload["meeting_id"], current.name)
