"""Authenticator helpers for tests: give a persona an authenticator with a known key, read its codes."""

from __future__ import annotations

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts import identity
from ihospital.audit.services import Actor
from ihospital.core.time import now

KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, hex


def enrol(user, key_hex: str = KEY) -> TOTPDevice:
    return identity.totp_device_install(user=user, key_hex=key_hex, actor=Actor.system("test"))


def code(user, *, steps_ahead: int = 0) -> str:
    """The code ``user``'s authenticator shows now (or ``steps_ahead`` periods later: a code is accepted
    once, and the device accepts the next period's too, so a second sign-in in one test uses that)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now().timestamp() + steps_ahead * device.step
    return f"{totp.token():06d}"
