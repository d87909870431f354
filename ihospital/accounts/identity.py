"""Staff identity (issue 4 point 7): authenticator apps (TOTP, django-otp) and the identity re-check a
doctor passes before each consultation.

Writes are keyword-only services that audit what they do; reads are the selectors other apps call::

    identity_confirmed_within(user)   # the confirmation that still counts, or None
    require_identity_confirmed(user)  # the same, or DomainError account.identity_check_required

A confirmation counts for settings.STAFF_IDENTITY_CHECK_SECONDS. Five failed re-checks in a row lock
re-checks for 15 minutes; attempts of one user queue on the lock of their throttle row, so racing guesses
all count. A TOTP code is accepted once: django-otp keeps the time step of the last code used, and the
device row is locked while a code is checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b32encode
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts.errors import AccountError
from ihospital.accounts.models import STAFF_ROLES, IdentityCheckThrottle, IdentityConfirmation, User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now, seconds_until

RECOVERY_DEVICE_NAME = "recovery codes"
DEMO_DEVICE_NAME = "demo authenticator"  # the demo's known keys: their codes are shown on /dev/totp/
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
IDENTITY_CHECK_MAX_FAILURES = 5
IDENTITY_CHECK_LOCK_SECONDS = 15 * 60
DEVICE_NAME = "authenticator"
Method = IdentityConfirmation.Method

# --- reads ------------------------------------------------------------------------------------------


def identity_confirmed_within(user, *, seconds: int | None = None) -> IdentityConfirmation | None:
    """The latest identity confirmation of ``user`` younger than ``seconds`` (default
    STAFF_IDENTITY_CHECK_SECONDS), or None. Anonymous users have none."""
    if not getattr(user, "is_authenticated", False):
        return None
    window = settings.STAFF_IDENTITY_CHECK_SECONDS if seconds is None else seconds
    return (
        IdentityConfirmation.objects.filter(user_id=user.pk, confirmed_at__gt=now() - timedelta(seconds=window))
        .order_by("-confirmed_at")
        .first()
    )


def require_identity_confirmed(user, *, seconds: int | None = None) -> IdentityConfirmation:
    """For API operations and services that need a fresh identity check (starting a consultation).

    Refuses: account.identity_check_required (403) when ``identity_confirmed_within`` finds none."""
    confirmation = identity_confirmed_within(user, seconds=seconds)
    if confirmation is None:
        window = settings.STAFF_IDENTITY_CHECK_SECONDS if seconds is None else seconds
        raise DomainError(AccountError.IDENTITY_CHECK_REQUIRED, minutes=max(1, window // 60))
    return confirmation


def totp_device_of(user, *, confirmed: bool) -> TOTPDevice | None:
    """The user's active (``confirmed=True``) or pending authenticator, or None."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=confirmed).order_by("-pk").first()


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app: base32, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


# --- identity re-check ------------------------------------------------------------------------------


def staff_identity_confirm(
    *, user: User, password: str = "", totp_code: str = "", actor: Actor
) -> IdentityConfirmation:
    """Confirm that ``user`` is at the keyboard, by their password or a code of their active
    authenticator (exactly one of the two).

    Preconditions: ``user`` has a staff role. Side effects: an IdentityConfirmation and an
    ``account.identity_confirmed`` audit entry; on a refusal, an ``account.identity_check_failed`` entry
    (committed) naming the code. Refuses: core.forbidden (not staff), account.identity_check_input
    (neither or both given; not audited), account.identity_check_failed (wrong password or code; the
    5th in a row locks), account.identity_check_locked (for 15 minutes), account.totp_not_enrolled,
    account.totp_wait (django-otp's back-off after a wrong code).
    """
    _require_staff(user)
    method = _method_of(password, totp_code)
    with transaction.atomic():
        throttle = _locked_throttle(user)
        refusal = _check(throttle, user, method, password=password, totp_code=totp_code)
        if refusal is None:
            IdentityCheckThrottle.objects.filter(pk=throttle.pk).update(failures=0, locked_until=None)
            confirmation = IdentityConfirmation.objects.create(
                user=user, method=method, confirmed_at=now(), ip=actor.ip
            )
            record(
                actor=actor,
                action="account.identity_confirmed",
                target_type="user",
                target_id=str(user.public_id),
                details={"method": method},
            )
            return confirmation
        record(
            actor=actor,
            action="account.identity_check_failed",
            target_type="user",
            target_id=str(user.public_id),
            details={"method": method, "code": refusal.code},
        )
    raise refusal


def _require_staff(user) -> None:
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        raise DomainError(CoreError.FORBIDDEN)


def _method_of(password: str, totp_code: str) -> str:
    if bool(password) == bool((totp_code or "").strip()):
        message = AccountError.IDENTITY_CHECK_INPUT.message
        raise DomainError(AccountError.IDENTITY_CHECK_INPUT, fields={"password": message, "totp_code": message})
    return Method.PASSWORD.value if password else Method.TOTP.value


def _locked_throttle(user: User) -> IdentityCheckThrottle:
    """The user's throttle row (created on first use), locked until the caller commits."""
    IdentityCheckThrottle.objects.bulk_create([IdentityCheckThrottle(user=user)], ignore_conflicts=True)
    return IdentityCheckThrottle.objects.select_for_update().get(user=user)


def _check(
    throttle: IdentityCheckThrottle, user: User, method: str, *, password: str, totp_code: str
) -> DomainError | None:
    """Why this attempt is refused (a wrong secret is counted), or None if it proves the identity."""
    if throttle.locked_until and throttle.locked_until > now():
        return DomainError(AccountError.IDENTITY_CHECK_LOCKED, minutes=_minutes_until(throttle))
    if method == Method.PASSWORD:
        # Fresh from the database: an API caller's user may come from the token cache.
        account = User.objects.get(pk=user.pk)
        if account.is_active and account.check_password(password):
            return None
        return _count_failure(throttle, field="password")
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).order_by("-pk").first()
    if device is None:
        return DomainError(AccountError.TOTP_NOT_ENROLLED, fields={"totp_code": AccountError.TOTP_NOT_ENROLLED.message})
    allowed, data = device.verify_is_allowed()
    if not allowed:
        return _wait(data)
    if device.verify_token(totp_code.replace(" ", "").strip()):  # moves the device's last-used step
        return None
    return _count_failure(throttle, field="totp_code")


def _count_failure(throttle: IdentityCheckThrottle, *, field: str) -> DomainError:
    """Count one failure (the throttle row is locked by the caller); the 5th in a row locks."""
    rows = IdentityCheckThrottle.objects.filter(pk=throttle.pk)
    rows.update(failures=F("failures") + 1)
    locked = rows.filter(failures__gte=IDENTITY_CHECK_MAX_FAILURES).update(
        failures=0, locked_until=now() + timedelta(seconds=IDENTITY_CHECK_LOCK_SECONDS)
    )
    if locked:
        return DomainError(AccountError.IDENTITY_CHECK_LOCKED, minutes=IDENTITY_CHECK_LOCK_SECONDS // 60)
    remaining = IDENTITY_CHECK_MAX_FAILURES - throttle.failures - 1
    message = AccountError.IDENTITY_CHECK_FAILED.message % {"remaining": remaining}
    return DomainError(AccountError.IDENTITY_CHECK_FAILED, fields={field: message}, remaining=remaining)


def _minutes_until(throttle: IdentityCheckThrottle) -> int:
    assert throttle.locked_until is not None
    return max(1, -(-seconds_until(throttle.locked_until) // 60))


def _wait(data: dict | None) -> DomainError:
    seconds = max(1, seconds_until(data["locked_until"]) + 1) if data and data.get("locked_until") else 1
    message = AccountError.TOTP_WAIT.message % {"seconds": seconds}
    return DomainError(AccountError.TOTP_WAIT, fields={"totp_code": message}, seconds=seconds)


# --- authenticator enrolment ------------------------------------------------------------------------


def totp_enrolment_begin(*, user: User, password: str = "", actor: Actor) -> TOTPDevice:
    """Start setting up an authenticator app: a pending (unconfirmed) TOTP device with a fresh random key,
    replacing any earlier pending one. It is used for nothing until ``totp_device_confirm``.

    The password is required and checked by ``staff_identity_confirm`` (so it counts towards the same lock,
    and a success is also an identity confirmation). With an active device this is a replacement: the
    active device keeps working until the new one is confirmed.
    Refuses: core.forbidden, account.totp_password_required, and the refusals of
    ``staff_identity_confirm``. Side effects: an ``account.totp_enrolment_begin`` audit entry.
    """
    _require_staff(user)
    replacing = totp_device_of(user, confirmed=True) is not None
    if not password:
        message = AccountError.TOTP_PASSWORD_REQUIRED.message
        raise DomainError(AccountError.TOTP_PASSWORD_REQUIRED, fields={"password": message})
    staff_identity_confirm(user=user, password=password, actor=actor)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time per user
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        record(
            actor=actor,
            action="account.totp_enrolment_begin",
            target_type="user",
            target_id=str(user.public_id),
            details={"replacing": replacing},
        )
    return device


def totp_device_confirm(*, user: User, code: str, actor: Actor) -> TOTPDevice:
    """Activate the pending authenticator once the user types a valid current code from it; an earlier
    active one is removed (replaced).

    Refuses (audited as ``account.totp_device_confirm.refused``): core.forbidden,
    account.totp_enrolment_not_started, account.totp_code_wrong, account.totp_wait.
    Side effects: an ``account.totp_device_confirmed`` audit entry.
    """
    _require_staff(user)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).order_by("-pk").first()
        refusal = _confirm_refusal(device, code)
        if refusal is None:
            assert device is not None
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)  # after verify_token's own save
            replaced, _ = TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
            record(
                actor=actor,
                action="account.totp_device_confirmed",
                target_type="user",
                target_id=str(user.public_id),
                details={"replaced": bool(replaced)},
            )
            device.confirmed = True
            return device
        record(
            actor=actor,
            action="account.totp_device_confirm.refused",
            target_type="user",
            target_id=str(user.public_id),
            details={"code": refusal.code},
        )
    raise refusal


def _confirm_refusal(device: TOTPDevice | None, code: str) -> DomainError | None:
    if device is None:
        return DomainError(AccountError.TOTP_ENROLMENT_NOT_STARTED)
    allowed, data = device.verify_is_allowed()
    if not allowed:
        return _wait(data)
    if device.verify_token((code or "").replace(" ", "").strip()):
        return None
    return DomainError(AccountError.TOTP_CODE_WRONG, fields={"code": AccountError.TOTP_CODE_WRONG.message})


def totp_enrolment_cancel(*, user: User, actor: Actor) -> None:
    """Drop a pending authenticator (the active one, if any, is untouched). Audited."""
    _require_staff(user)
    with transaction.atomic():
        dropped, _ = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        if dropped:
            record(
                actor=actor, action="account.totp_enrolment_cancel", target_type="user", target_id=str(user.public_id)
            )


# --- the second factor at sign-in (issue 10 point 5) ------------------------------------------------


def second_factor_required(user: User) -> bool:
    """Whether ``user``'s role signs in with an authenticator code too (settings.STAFF_TOTP_ROLES)."""
    return user.role in settings.STAFF_TOTP_ROLES


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__name=RECOVERY_DEVICE_NAME).count()


def _recovery_digest(code: str) -> str:
    """What is stored of a recovery code: a keyed hash, short enough for django-otp's token column (16)."""
    normal = code.replace("-", "").replace(" ", "").strip().lower()
    return hmac.new(settings.SECRET_KEY.encode(), f"recovery:{normal}".encode(), hashlib.sha256).hexdigest()[:16]


def staff_second_factor_verify(*, user: User, code: str, actor: Actor) -> str:
    """The second step of a staff sign-in: the current code of the user's authenticator app, or one of
    their recovery codes (used up by this). Returns the method ("totp" or "recovery_code").

    Failures count towards the identity check's lock (5 in a row lock for 15 minutes); a TOTP code is
    accepted once (django-otp keeps the last time step used). Refuses: account.totp_not_enrolled (no
    active authenticator), account.second_factor_wrong, account.identity_check_locked, account.totp_wait.
    Side effects: ``account.second_factor_verified`` {method, recovery_codes_left} or, committed,
    ``account.second_factor_refused`` {code}.
    """
    code = (code or "").replace(" ", "").strip()
    method = "totp" if code.isdigit() else "recovery_code"
    with transaction.atomic():
        throttle = _locked_throttle(user)
        refusal = _second_factor_refusal(throttle, user, method, code)
        if refusal is None:
            IdentityCheckThrottle.objects.filter(pk=throttle.pk).update(failures=0, locked_until=None)
            details = {"method": method}
            if method == "recovery_code":
                details["recovery_codes_left"] = recovery_codes_left(user)
            record(
                actor=actor,
                action="account.second_factor_verified",
                target_type="user",
                target_id=str(user.public_id),
                details=details,
            )
            return method
        record(
            actor=actor,
            action="account.second_factor_refused",
            target_type="user",
            target_id=str(user.public_id),
            details={"method": method, "code": refusal.code},
        )
    raise refusal


def _second_factor_refusal(throttle, user: User, method: str, code: str) -> DomainError | None:
    if throttle.locked_until and throttle.locked_until > now():
        return DomainError(AccountError.IDENTITY_CHECK_LOCKED, minutes=_minutes_until(throttle))
    if method == "totp":
        device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).order_by("-pk").first()
        if device is None:
            return DomainError(AccountError.TOTP_NOT_ENROLLED)
    else:
        device = StaticDevice.objects.select_for_update().filter(user_id=user.pk, name=RECOVERY_DEVICE_NAME).first()
        code = _recovery_digest(code)
    if device is not None:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            return _wait(data)
        if device.verify_token(code):  # a recovery code's token row is deleted: used once
            return None
    failure = _count_failure(throttle, field="code")
    if failure.code == AccountError.IDENTITY_CHECK_LOCKED.code:
        return failure
    remaining = failure.params["remaining"]
    message = AccountError.SECOND_FACTOR_WRONG.message % {"remaining": remaining}
    return DomainError(AccountError.SECOND_FACTOR_WRONG, fields={"code": message}, remaining=remaining)


def recovery_codes_generate(*, user: User, actor: Actor) -> list[str]:
    """Replace ``user``'s recovery codes with RECOVERY_CODE_COUNT new ones, each good for one sign-in
    instead of an authenticator code (a lost phone). Returned once, in plain text, to show to the user;
    only keyed hashes are stored (django-otp's static device). Audited as account.recovery_codes_generate."""
    _require_staff(user)
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(settings.RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        StaticDevice.objects.filter(user_id=user.pk, name=RECOVERY_DEVICE_NAME).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=_recovery_digest(c)) for c in codes])
        record(
            actor=actor,
            action="account.recovery_codes_generate",
            target_type="user",
            target_id=str(user.public_id),
            details={"count": len(codes)},
        )
    return codes


def totp_device_install(*, user: User, key_hex: str, actor: Actor) -> TOTPDevice:
    """Give ``user`` an active authenticator with a known key: for the demo only (its loader), so that the
    printed staff logins work and /dev/totp/ can show each one's current code. Replaces their devices.
    Audited as account.totp_demo_install."""
    _require_staff(user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key_hex, confirmed=True)
        record(actor=actor, action="account.totp_demo_install", target_type="user", target_id=str(user.public_id))
    return device


def totp_current_code(device: TOTPDevice) -> tuple[str, int]:
    """The code ``device`` shows now and the seconds it stays valid (the demo's developer page)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now().timestamp()
    return f"{totp.token():0{device.digits}d}", int(device.step - (totp.time - device.t0) % device.step)


def demo_devices():
    """The demo's authenticators (DEMO_DEVICE_NAME), with their users, by user name."""
    return (
        TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True)
        .select_related("user")
        .order_by("user__username")
    )
