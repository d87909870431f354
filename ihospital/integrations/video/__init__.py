"""Video: the configured provider (settings.VIDEO_PROVIDER) behind ``base.VideoProvider``.

``BuiltinWebRTCProvider`` (browser to browser, our own signaling and TURN) is the default;
``cloud.CloudVideoProvider`` hands meetings to the cloud video platform. Call ``provider()`` outside any
transaction: the cloud provider talks over the network.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ihospital.integrations.video.base import VideoProvider


@cache
def provider() -> VideoProvider:
    return import_string(settings.VIDEO_PROVIDER)()


@receiver(setting_changed)
def _forget_provider(*, setting: str, **kwargs) -> None:
    # Adapters read their credentials once, when built.
    if setting.startswith(("VIDEO_", "CLOUD_VIDEO_")):
        provider.cache_clear()
