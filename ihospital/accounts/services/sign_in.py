"""Account writes: SMS sign-in, staff sign-in, API tokens, staff accounts, the reader's language.

Every refusal raises ``DomainError`` with an ``AccountError``/``VisitPersonError`` code and is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ihospital.accounts import identity, passwords
from ihospital.accounts.errors import AccountError
from ihospital.accounts.models import (
    ADMIN_ROLES,
    STAFF_ROLES,
    ApiToken,
    PrivacyConsent,
    Role,
    SignInThrottle,
    SmsCode,
    User,
)
from ihospital.accounts.phone import mask_phone, normalize_phone
from ihospital.accounts.selectors import token_cache_key
from ihospital.accounts.services._common import _refuse
from ihospital.audit.services import Actor, record
from ihospital.core import outbox, ratelimit
from ihospital.core.errors import DomainError
from ihospital.core.time import now


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone_or_refuse(raw: str, actor: Actor, action: str) -> str:
    phone = normalize_phone(raw)
    if phone is None:
        _refuse(actor, action, AccountError.PHONE_INVALID, fields={"phone": AccountError.PHONE_INVALID.message})
    return phone


def _lock_remaining(phone: str) -> int:
    locked_until = SignInThrottle.objects.filter(phone=phone).values_list("locked_until", flat=True).first()
    if locked_until and locked_until > now():
        return max(1, int((locked_until - now()).total_seconds() // 60) + 1)
    return 0


@dataclass(frozen=True)
class CodeSent:
    masked_phone: str
    expires_in: int
    resend_in: int


def sms_code_send(*, phone: str, actor: Actor) -> CodeSent:
    """Send a 6-digit sign-in code to ``phone`` through the SMS outbox.

    Refuses: account.phone_invalid, account.sign_in_locked, account.sms_resend_too_soon (one code per
    SMS_RESEND_INTERVAL_SECONDS), account.sms_hourly_limit (SMS_MAX_PER_HOUR). Side effects: an SmsCode
    row (hash only), an ``sms.send`` outbox message, an audit entry.
    """
    action = "account.sms_code_send"
    phone = _phone_or_refuse(phone, actor, action)
    _check_sms_budget(actor, action, target_id=mask_phone(phone))
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = settings.SMS_CODE_TTL_SECONDS
    with transaction.atomic():
        _lock_phone(phone)  # concurrent sends to one number queue here, so the limits below hold
        refusal = _send_refusal(phone)
        if refusal is None:
            moment = now()
            sms = SmsCode.objects.create(
                phone=phone,
                code_hash=_code_hash(phone, code),
                created_at=moment,
                expires_at=moment + timedelta(seconds=ttl),
                ip=actor.ip,
            )
            text = _(
                "[ihospital] Your sign-in code is %(code)s. It expires in %(minutes)d minutes. "
                "Never share it with anyone."
            ) % {"code": code, "minutes": ttl // 60}
            outbox.enqueue(
                topic="sms.send", payload={"phone": phone, "text": text}, idempotency_key=f"sms-code:{sms.pk}"
            )
            record(actor=actor, action=action, target_type="phone", target_id=mask_phone(phone))
    if refusal is not None:
        error, params = refusal
        _refuse(actor, action, error, target_id=mask_phone(phone), **params)
    return CodeSent(mask_phone(phone), ttl, settings.SMS_RESEND_INTERVAL_SECONDS)


def _check_sms_budget(actor: Actor, action: str, *, target_id: str) -> None:
    """The limits beyond one number's: codes asked from one address per hour, and for the whole site per
    minute (a crowd of addresses costs at most that). Each ask counts; a refusal is audited."""
    if wait := ratelimit.hit("sms.address", actor.ip or "", limit=settings.SMS_MAX_PER_ADDRESS_PER_HOUR, seconds=3600):
        minutes = -(-wait // 60)
        _refuse(actor, action, AccountError.SMS_ADDRESS_LIMIT, target_id=target_id, minutes=minutes, retry_after=wait)
    if wait := ratelimit.hit("sms.site", "", limit=settings.SMS_MAX_PER_MINUTE, seconds=60):
        _refuse(actor, action, AccountError.SMS_BUSY, target_id=target_id, seconds=wait, retry_after=wait)


def _lock_phone(phone: str) -> None:
    """Take the row lock of the number's throttle row (created on first use) until the caller commits."""
    try:
        with transaction.atomic():
            SignInThrottle.objects.get_or_create(phone=phone)
    except IntegrityError:  # a concurrent first send created it
        pass
    SignInThrottle.objects.select_for_update().get(phone=phone)


def _send_refusal(phone: str):
    """Why a code may not be sent now, as (error, params), or None."""
    if minutes := _lock_remaining(phone):
        return AccountError.SIGN_IN_LOCKED, {"minutes": minutes}
    moment = now()
    recent = list(
        SmsCode.objects.filter(phone=phone, created_at__gte=moment - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    if recent:
        wait = settings.SMS_RESEND_INTERVAL_SECONDS - int((moment - recent[0]).total_seconds())
        if wait > 0:
            return AccountError.RESEND_TOO_SOON, {"seconds": wait}
    if len(recent) >= settings.SMS_MAX_PER_HOUR:
        return AccountError.RESEND_LIMIT, {}
    return None


@dataclass(frozen=True)
class ConsentGiven:
    """What the person ticked: the privacy notice of ``notice_version``, and, separately, the processing
    of their health information (sensitive personal information under PIPL)."""

    notice_version: str = ""
    privacy_notice: bool = False
    health_data: bool = False

    def covers(self, version: str) -> bool:
        return self.notice_version == version and self.privacy_notice and self.health_data


class _ConsentMissing(Exception):
    """Raised inside the sign-in transaction to roll it back: no account, the code left unused."""


def patient_sign_in(*, phone: str, code: str, actor: Actor, consent: ConsentGiven | None = None) -> User:
    """Check a sign-in code and return the patient account for ``phone`` (created on first sign-in).

    The account must hold consents to the current privacy notice (settings.PRIVACY_NOTICE_VERSION) and,
    separately, to the processing of health information; if it does not (a first sign-in, or a new
    notice), ``consent`` must give both for that version, and they are recorded (PrivacyConsent rows and
    an ``account.consent`` audit entry). Otherwise nothing is written: no account is created and the code
    stays usable, so the person can consent and send it again.

    Refuses: account.phone_invalid, account.sms_code_format, account.sign_in_locked (after
    SMS_CODE_MAX_WRONG wrong codes, for SMS_LOCK_SECONDS), account.sms_code_wrong,
    account.sms_code_expired (none sent, expired or already used), account.consent_required (with
    ``version``). A code is used at most once even when two requests race with it.
    """
    action = "account.sign_in"
    phone = _phone_or_refuse(phone, actor, action)
    target = mask_phone(phone)
    latest = _valid_code_or_refuse(phone, (code or "").strip(), actor, action)
    version = settings.PRIVACY_NOTICE_VERSION
    try:
        with transaction.atomic():
            if not SmsCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now()):
                raise DomainError(AccountError.CODE_EXPIRED)  # a racing request used it first
            SignInThrottle.objects.filter(phone=phone).update(failures=0, locked_until=None)
            user = _patient_for_phone(phone)
            if not user.is_active:
                raise DomainError(AccountError.ACCOUNT_DISABLED)
            user_actor = Actor(
                public_id=str(user.public_id),
                name=user.username,
                role=user.role,
                ip=actor.ip,
                user_agent=actor.user_agent,
            )
            _consents_record(user, consent, version=version, actor=user_actor)
            User.objects.filter(pk=user.pk).update(last_login=now())
            record(actor=user_actor, action=action, target_type="user", target_id=str(user.public_id))
    except _ConsentMissing:
        fields = {name: str(AccountError.CONSENT_REQUIRED.message % {"version": version}) for name in CONSENT_FIELDS}
        _refuse(actor, action, AccountError.CONSENT_REQUIRED, target_id=target, fields=fields, version=version)
    return user


CONSENT_FIELDS = ("consent_privacy_notice", "consent_health_data")


def _valid_code_or_refuse(phone: str, code: str, actor: Actor, action: str) -> SmsCode:
    """The live code sent to ``phone`` if ``code`` is it; a wrong code is counted (and may lock)."""
    target = mask_phone(phone)
    if not (len(code) == 6 and code.isdigit()):
        _refuse(
            actor, action, AccountError.CODE_FORMAT, target_id=target, fields={"code": AccountError.CODE_FORMAT.message}
        )
    if minutes := _lock_remaining(phone):
        _refuse(actor, action, AccountError.SIGN_IN_LOCKED, target_id=target, minutes=minutes)
    latest = (
        SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now()).order_by("-created_at").first()
    )
    if latest is None:
        _refuse(actor, action, AccountError.CODE_EXPIRED, target_id=target)
    if not hmac.compare_digest(latest.code_hash, _code_hash(phone, code)):
        remaining = _count_wrong_code(phone)
        if remaining == 0:
            _refuse(
                actor, action, AccountError.SIGN_IN_LOCKED, target_id=target, minutes=settings.SMS_LOCK_SECONDS // 60
            )
        _refuse(
            actor,
            action,
            AccountError.CODE_WRONG,
            target_id=target,
            remaining=remaining,
            fields={"code": AccountError.CODE_WRONG.message % {"remaining": remaining}},
        )
    return latest


def _consents_record(user: User, consent: ConsentGiven | None, *, version: str, actor: Actor) -> None:
    """Record the consents ``user`` lacks for ``version``; raise _ConsentMissing if ``consent`` lacks them."""
    held = set(PrivacyConsent.objects.filter(user=user, notice_version=version).values_list("kind", flat=True))
    lacking = [kind for kind in PrivacyConsent.Kind.values if kind not in held]
    if not lacking:
        return
    if consent is None or not consent.covers(version):
        raise _ConsentMissing
    moment = now()
    PrivacyConsent.objects.bulk_create(
        [PrivacyConsent(user=user, kind=kind, notice_version=version, given_at=moment, ip=actor.ip) for kind in lacking]
    )
    record(
        actor=actor,
        action="account.consent",
        target_type="user",
        target_id=str(user.public_id),
        details={"notice_version": version, "consents": lacking},
    )


def _count_wrong_code(phone: str) -> int:
    """Count one wrong guess; lock the number once the limit is reached. Returns tries left."""
    with transaction.atomic():
        throttle, _created = SignInThrottle.objects.get_or_create(phone=phone)
        SignInThrottle.objects.filter(pk=throttle.pk).update(failures=F("failures") + 1)
        failures = SignInThrottle.objects.values_list("failures", flat=True).get(pk=throttle.pk)
        if failures >= settings.SMS_CODE_MAX_WRONG:
            SignInThrottle.objects.filter(pk=throttle.pk).update(
                failures=0, locked_until=now() + timedelta(seconds=settings.SMS_LOCK_SECONDS)
            )
            return 0
    return settings.SMS_CODE_MAX_WRONG - failures


def _patient_for_phone(phone: str) -> User:
    # The user name is random: the mobile number is encrypted at rest, and a name made of it would not be.
    defaults = {"phone": phone, "username": f"p{secrets.token_hex(8)}", "role": Role.PATIENT}
    try:
        with transaction.atomic():
            user, _created = User.objects.matching(phone=phone).get_or_create(defaults=defaults)
    except IntegrityError:  # two first sign-ins raced; the other one created it
        user = User.objects.matching(phone=phone).get()
    if user.role != Role.PATIENT:
        raise DomainError(AccountError.ACCOUNT_DISABLED)
    return user


def staff_sign_in(*, request, username: str, password: str, actor: Actor, roles: Iterable[str] = STAFF_ROLES) -> User:
    """Check a staff member's user name and password (django-axes counts failures and locks).

    Refuses: account.credentials_wrong (also for a valid account whose role is not in ``roles``, so
    the answer does not reveal which accounts exist), account.staff_locked.
    """
    action = "account.staff_sign_in"
    credentials = {"username": username}
    locked = AccountError.STAFF_LOCKED
    if AxesProxyHandler.is_locked(request, credentials):
        _refuse(actor, action, locked, retry_after=int(settings.AXES_COOLOFF_TIME * 3600))
    if wait := _everywhere_locked(username):
        _refuse(actor, action, AccountError.STAFF_LOCKED_EVERYWHERE, minutes=-(-wait // 60), retry_after=wait)
    user = authenticate(request, username=username, password=password)
    if user is None or user.role not in roles:
        if wait := _count_failure_everywhere(username=username, actor=actor):
            _refuse(actor, action, AccountError.STAFF_LOCKED_EVERYWHERE, minutes=-(-wait // 60), retry_after=wait)
        if AxesProxyHandler.is_locked(request, credentials):  # this failure was the one too many
            _refuse(actor, action, locked, retry_after=int(settings.AXES_COOLOFF_TIME * 3600))
        _refuse(actor, action, AccountError.CREDENTIALS_WRONG)
    with transaction.atomic():
        record(actor=Actor.of(user, request), action=action, target_type="user", target_id=str(user.public_id))
    return user


_FAILURES_EVERYWHERE = "staff.sign_in_failures"


def _everywhere_locked(username: str) -> int:
    """Seconds left while ``username`` is past its limit of failures from all addresses together, else 0."""
    seconds = settings.STAFF_SIGN_IN_GLOBAL_WINDOW_SECONDS
    if ratelimit.count(_FAILURES_EVERYWHERE, username.casefold(), seconds=seconds) > (
        settings.STAFF_SIGN_IN_GLOBAL_FAILURES
    ):
        return ratelimit.seconds_left(seconds)
    return 0


def _count_failure_everywhere(*, username: str, actor: Actor) -> int:
    """Count a failed sign-in for ``username`` whatever the address; when this one passes the limit, audit it
    and alert the security administrators (``security.alert`` outbox message, once per window). Returns the
    seconds left in the window once past the limit, else 0."""
    seconds = settings.STAFF_SIGN_IN_GLOBAL_WINDOW_SECONDS
    limit = settings.STAFF_SIGN_IN_GLOBAL_FAILURES
    wait = ratelimit.hit(_FAILURES_EVERYWHERE, username.casefold(), limit=limit, seconds=seconds)
    if wait and ratelimit.count(_FAILURES_EVERYWHERE, username.casefold(), seconds=seconds) == limit + 1:
        window = int(now().timestamp()) // seconds
        digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:16]
        with transaction.atomic():
            record(
                actor=actor,
                action="account.staff_sign_in.global_limit",
                target_type="username",
                target_id=username[:64],
                details={"failures": limit + 1, "window_seconds": seconds},
            )
            outbox.enqueue(
                topic="security.alert",
                payload={"kind": "staff_sign_in_attack", "username": username[:150], "failures": limit + 1},
                idempotency_key=f"security-alert:staff-sign-in:{digest}:{window}",
            )
    return wait


def staff_token_second_step(*, user: User, otp_code: str, actor: Actor) -> None:
    """After ``staff_sign_in`` checked the password of an API caller: the authenticator code its role needs
    (identity.staff_second_factor_verify), and a password that has not expired.

    Refuses (audited): account.second_factor_required (no code given), account.second_factor_not_set_up
    (the authenticator is set up only on the web sign-in, where the QR code can be shown), the refusals of
    ``staff_second_factor_verify``, account.password_expired."""
    action = "account.staff_sign_in"
    target = {"target_type": "user", "target_id": str(user.public_id)}
    if identity.second_factor_required(user):
        if identity.totp_device_of(user, confirmed=True) is None:
            _refuse(actor, action, AccountError.SECOND_FACTOR_NOT_SET_UP, **target)
        if not otp_code.strip():
            message = AccountError.SECOND_FACTOR_REQUIRED.message
            _refuse(actor, action, AccountError.SECOND_FACTOR_REQUIRED, fields={"otp_code": message}, **target)
        identity.staff_second_factor_verify(user=user, code=otp_code, actor=actor)
    if passwords.password_expired(user):
        _refuse(actor, action, AccountError.PASSWORD_EXPIRED, days=settings.PASSWORD_MAX_AGE_DAYS, **target)


def api_token_issue(*, user: User, actor: Actor) -> tuple[str, ApiToken]:
    """Create a Bearer token; the secret is returned once and only its hash is kept."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_hash=hashlib.sha256(secret.encode()).hexdigest(),
            prefix=secret[:8],
            expires_at=now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
        )
        record(actor=actor, action="account.api_token_issue", target_type="api_token", target_id=str(token.public_id))
    return secret, token


def api_token_revoke(*, token: ApiToken, actor: Actor) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now())
        cache.delete(token_cache_key(token.key_hash))  # no grace period for a revoked token
        record(actor=actor, action="account.api_token_revoke", target_type="api_token", target_id=str(token.public_id))


@dataclass(frozen=True)
class StaffAccountInput:
    username: str
    role: str
    full_name: str
    password: str
    title: str = ""
    practice_certificate_no: str = ""


def staff_account_create(*, data: StaffAccountInput, actor: Actor) -> User:
    """Create a staff account (security administrator's task; also used by the demo loader).

    The password must pass AUTH_PASSWORD_VALIDATORS. Back-office roles get Django admin access.
    Refuses with ValidationError from the password validators.
    """
    if data.role not in STAFF_ROLES:
        raise ValueError(f"not a staff role: {data.role}")
    user = User(
        username=data.username,
        role=data.role,
        full_name=data.full_name,
        title=data.title,
        practice_certificate_no=data.practice_certificate_no,
        is_staff=data.role in ADMIN_ROLES,
    )
    validate_password(data.password, user)
    user.set_password(data.password)
    with transaction.atomic():
        user.save()
        record(
            actor=actor,
            action="account.staff_create",
            target_type="user",
            target_id=str(user.public_id),
            details={"role": data.role},
        )
    return user


@transaction.atomic
def staff_name_fill(*, user: User, full_name: str, title: str, actor: Actor) -> bool:
    """Give a staff account the full name and professional title it lacks (what signed documents print);
    a name or title already set is kept. Returns whether anything changed. Used by the demo loader for
    accounts made before it named them.

    Side effects: the account's blank ``full_name``/``title`` set; an audit entry when something changed.
    """
    changed = []
    for name, value in (("full_name", full_name.strip()), ("title", title.strip())):
        if value and User.objects.filter(pk=user.pk, **{name: ""}).update(**{name: value}):
            setattr(user, name, value)
            changed.append(name)
    if changed:
        record(
            actor=actor,
            action="account.staff_name_fill",
            target_type="user",
            target_id=str(user.public_id),
            details={"fields": changed},
        )
    return bool(changed)


def staff_password_change(*, user: User, current_password: str, new_password: str, actor: Actor) -> None:
    """A staff member changes their own password (also when it has expired, before the sign-in finishes).

    Refuses (audited as account.password_change.refused): account.password_wrong (field current_password),
    account.password_invalid (AUTH_PASSWORD_VALIDATORS: length, complexity, not one of the last
    PASSWORD_HISTORY_COUNT; the reasons in field new_password). Side effects: the password, its history and
    ``password_changed_at`` (accounts.passwords.password_set); an audit entry account.password_change.
    Other browser sessions of the user stop working (Django checks the password hash of each session).
    """
    action = "account.password_change"
    target = {"target_type": "user", "target_id": str(user.public_id)}
    account = User.objects.get(pk=user.pk)
    if not account.check_password(current_password or ""):
        message = AccountError.PASSWORD_WRONG.message
        _refuse(actor, action, AccountError.PASSWORD_WRONG, fields={"current_password": message}, **target)
    try:
        validate_password(new_password, account)
    except ValidationError as error:
        text = " ".join(error.messages)
        _refuse(actor, action, AccountError.PASSWORD_INVALID, fields={"new_password": text}, reasons=text, **target)
    with transaction.atomic():
        passwords.password_set(user=account, password=new_password)
        record(actor=actor, action=action, target_type="user", target_id=str(user.public_id))
    user.password, user.password_changed_at = account.password, account.password_changed_at


@transaction.atomic
def account_language_set(*, user: User, language: str, actor: Actor) -> None:
    """Remember the interface language ``user`` chose, so that messages sent to them later (by another
    person or a task) are written in it. Refuses account.invalid_language for a language not offered.
    Audited when it changes; choosing the same language again writes nothing."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(AccountError.INVALID_LANGUAGE)
    if User.objects.filter(pk=user.pk).exclude(language=language).update(language=language):
        record(
            actor=actor,
            action="account.language",
            target_type="user",
            target_id=str(user.public_id),
            details={"from": user.language, "to": language},
        )
    user.language = language
