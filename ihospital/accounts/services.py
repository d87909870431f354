"""Account writes: SMS sign-in, staff sign-in, API tokens, visit persons.

Every refusal raises ``DomainError`` with an ``AccountError``/``VisitPersonError`` code and is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NoReturn

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ihospital.accounts import idcard, identity, names, passwords
from ihospital.accounts.errors import AccountError, VisitPersonError
from ihospital.accounts.models import (
    ADMIN_ROLES,
    STAFF_ROLES,
    ApiToken,
    PrivacyConsent,
    Role,
    SignInThrottle,
    SmsCode,
    User,
    VisitPerson,
)
from ihospital.accounts.phone import mask_phone, normalize_phone
from ihospital.accounts.selectors import token_cache_key
from ihospital.audit.services import Actor, record
from ihospital.core import outbox, ratelimit
from ihospital.core.errors import CoreError, DomainError, FieldErrors
from ihospital.core.time import now


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone_or_refuse(raw: str, actor: Actor, action: str) -> str:
    phone = normalize_phone(raw)
    if phone is None:
        _refuse(actor, action, AccountError.PHONE_INVALID, fields={"phone": AccountError.PHONE_INVALID.message})
    return phone


def _refuse(
    actor: Actor, action: str, error, *, target_id: str = "", target_type: str = "phone", fields=None, **params
) -> NoReturn:
    """Audit a refusal in its own committed transaction, then raise it."""
    with transaction.atomic():
        record(
            actor=actor,
            action=f"{action}.refused",
            target_type=target_type if target_id else "",
            target_id=target_id,
            details={"code": error.code},
        )
    raise DomainError(error, fields=fields, **params)


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


# --- Visit persons ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitPersonInput:
    relationship: str
    name: str
    id_number: str
    phone: str
    allergies: str = ""
    chronic_conditions: str = ""
    guardian_name: str = ""
    guardian_id_number: str = ""
    guardian_phone: str = ""


GUARDIAN_AGE_LIMIT = 6
EDITABLE_FIELDS = ("phone", "allergies", "chronic_conditions", "guardian_name", "guardian_id_number", "guardian_phone")


def _clean_phone(raw: str) -> tuple[str, object]:
    phone = normalize_phone(raw)
    return (phone or "", None if phone else AccountError.PHONE_INVALID.message)


def _clean_id_number(raw: str) -> tuple[str, object]:
    try:
        return idcard.parse(raw).number, None
    except idcard.InvalidIdNumber:
        return "", VisitPersonError.ID_NUMBER_INVALID.message


def _clean_name(raw: str) -> tuple[str, str | Promise | None]:
    try:
        return names.clean_person_name(raw), None
    except names.InvalidName:
        return "", VisitPersonError.NAME_INVALID.message


def _clean_text(limit: int):
    def clean(raw: str) -> tuple[str, object]:
        text = raw.strip()
        return text, _("At most %(limit)d characters.") % {"limit": limit} if len(text) > limit else None

    return clean


# Field → (cleaner, may be left empty). Shared by create and update.
DETAIL_CLEANERS = {
    "phone": (_clean_phone, False),
    "allergies": (_clean_text(500), True),
    "chronic_conditions": (_clean_text(500), True),
    "guardian_name": (_clean_name, True),
    "guardian_id_number": (_clean_id_number, True),
    "guardian_phone": (_clean_phone, True),
}


def _check_details(data: dict[str, str], *, problems: FieldErrors) -> dict[str, str]:
    """Validate the contact and health fields present in ``data``; return them normalised."""
    clean: dict[str, str] = {}
    for name, raw in data.items():
        cleaner, optional = DETAIL_CLEANERS[name]
        raw = (raw or "").strip()
        if optional and not raw:
            clean[name] = ""
            continue
        clean[name], problem = cleaner(raw)
        if problem:
            problems.add(name, problem)
    return clean


def _error_for(problems: FieldErrors):
    """The code of a refusal: the specific one when only ID numbers or only names are wrong."""
    wrong = set(problems.errors)
    if wrong == {"id_number"}:
        return VisitPersonError.ID_NUMBER_INVALID
    if wrong <= {"name", "guardian_name"} and all(
        problems.errors[field] == str(VisitPersonError.NAME_INVALID.message) for field in wrong
    ):
        return VisitPersonError.NAME_INVALID
    return VisitPersonError.INVALID


def _require_guardian(birth_date: date, values: dict[str, str], problems: FieldErrors) -> None:
    if idcard.age_on(birth_date, date.today()) < GUARDIAN_AGE_LIMIT:
        if not values.get("guardian_name"):
            problems.add("guardian_name", VisitPersonError.GUARDIAN_REQUIRED.message)
        if not values.get("guardian_id_number") and "guardian_id_number" not in problems.errors:
            problems.add("guardian_id_number", VisitPersonError.GUARDIAN_REQUIRED.message)


def visit_person_create(*, account: User, data: VisitPersonInput, actor: Actor) -> VisitPerson:
    """Register a real-name visit person on ``account``.

    Preconditions: ``account`` is a patient. Refuses (nothing written): visit_person.invalid (with
    per-field messages, including an ID number failing GB 11643, a name that is not a plausible personal
    name (``names.clean_person_name``) and a missing guardian for a child under 6),
    visit_person.duplicate, visit_person.limit_reached, visit_person.self_exists. Removed visit persons
    count for none of these. Side effects: an audit entry.
    """
    problems = FieldErrors()
    name, name_problem = _clean_name(data.name)
    if name_problem:
        problems.add("name", name_problem)
    if data.relationship not in VisitPerson.Relationship.values:
        problems.add("relationship", _("Choose a relationship."))
    resident = None
    try:
        resident = idcard.parse(data.id_number)
    except idcard.InvalidIdNumber:
        problems.add("id_number", VisitPersonError.ID_NUMBER_INVALID.message)
    details = _check_details({name: getattr(data, name) for name in EDITABLE_FIELDS}, problems=problems)
    if resident:
        _require_guardian(resident.birth_date, details, problems)
    if problems.errors:
        _refuse(actor, "visit_person.create", _error_for(problems), fields=problems.errors)
    assert resident is not None

    with transaction.atomic():
        # Lock the account row so two concurrent adds can't both pass the limit check.
        User.objects.select_for_update().get(pk=account.pk)
        existing = VisitPerson.objects.filter(account=account, removed_at__isnull=True)
        if existing.matching(id_number=resident.number).exists():
            raise DomainError(VisitPersonError.DUPLICATE, fields={"id_number": VisitPersonError.DUPLICATE.message})
        if data.relationship == VisitPerson.Relationship.SELF and existing.filter(relationship="self").exists():
            raise DomainError(
                VisitPersonError.SELF_EXISTS, fields={"relationship": VisitPersonError.SELF_EXISTS.message}
            )
        limit = settings.VISIT_PERSONS_PER_ACCOUNT
        if existing.count() >= limit:
            raise DomainError(VisitPersonError.LIMIT_REACHED, limit=limit)
        person = VisitPerson.objects.create(
            account=account,
            relationship=data.relationship,
            name=name,
            id_number=resident.number,
            birth_date=resident.birth_date,
            sex=resident.sex,
            **details,
        )
        record(
            actor=actor,
            action="visit_person.create",
            target_type="visit_person",
            target_id=str(person.public_id),
            details={"relationship": data.relationship},
        )
    return person


def visit_person_update(*, person: VisitPerson, changes: dict[str, str], actor: Actor) -> VisitPerson:
    """Update the contact and health details of a visit person. Name, ID number, birth date and sex are
    fixed (real-name rule): changing them is refused with visit_person.invalid.

    Refuses: visit_person.invalid (per field), visit_person.guardian_required for a child under 6.
    """
    problems = FieldErrors()
    for fixed in ("name", "id_number", "relationship", "birth_date", "sex"):
        if fixed in changes and str(changes[fixed]).strip() != str(getattr(person, fixed)):
            problems.add(fixed, _("This cannot be changed. Add a new visit person instead."))
    clean = _check_details({k: v for k, v in changes.items() if k in EDITABLE_FIELDS}, problems=problems)
    merged = {name: getattr(person, name) for name in EDITABLE_FIELDS} | clean
    _require_guardian(person.birth_date, merged, problems)
    if problems.errors:
        _refuse(actor, "visit_person.update", _error_for(problems), fields=problems.errors)
    changed = sorted(name for name, value in clean.items() if getattr(person, name) != value)
    with transaction.atomic():
        if changed:
            VisitPerson.objects.filter(pk=person.pk).update(updated_at=now(), **{n: clean[n] for n in changed})
        record(
            actor=actor,
            action="visit_person.update",
            target_type="visit_person",
            target_id=str(person.public_id),
            details={"fields": changed},
        )
    person.refresh_from_db()
    return person


@transaction.atomic
def visit_person_remove(*, person: VisitPerson, actor: Actor) -> None:
    """Remove a visit person from the account. Soft: the row stays (bookings, consultations and records
    point at it; clinical data is never deleted), but it is no longer listed, bookable or counted against
    the per-account limit, and the same person may be added again. Bookings already made are untouched.

    Refuses: core.not_found when already removed (compare-and-set on ``removed_at``).
    Side effects: ``removed_at``; an audit entry ``visit_person.remove``.
    """
    if not VisitPerson.objects.filter(pk=person.pk, removed_at__isnull=True).update(removed_at=now()):
        raise DomainError(CoreError.NOT_FOUND)
    record(actor=actor, action="visit_person.remove", target_type="visit_person", target_id=str(person.public_id))
    person.refresh_from_db()


def visit_person_name_correct(*, person: VisitPerson, name: str, id_number: str, actor: Actor) -> VisitPerson:
    """Correct the name of a visit person (a typing mistake, a name changed on the ID card). The patient
    proves they hold the person's ID card by typing the full ID number, which must be the registered one.

    Refuses (audited as ``visit_person.name_correct.refused``; nothing written): visit_person.name_invalid,
    visit_person.id_number_mismatch (field ``id_number``; also for a malformed number). Side effects: the
    name; an audit entry ``visit_person.name_correct`` {name: [old, new]}. The same name again writes nothing.
    """
    action = "visit_person.name_correct"
    target = {"target_type": "visit_person", "target_id": str(person.public_id)}
    clean, problem = _clean_name(name)
    if problem:
        _refuse(actor, action, VisitPersonError.NAME_INVALID, fields={"name": problem}, **target)
    try:
        matches = idcard.parse(id_number).number == person.id_number
    except idcard.InvalidIdNumber:
        matches = False
    if not matches:
        message = VisitPersonError.ID_NUMBER_MISMATCH.message
        _refuse(actor, action, VisitPersonError.ID_NUMBER_MISMATCH, fields={"id_number": message}, **target)
    with transaction.atomic():
        old = VisitPerson.objects.select_for_update().values_list("name", flat=True).get(pk=person.pk)
        if old != clean:
            VisitPerson.objects.filter(pk=person.pk).update(name=clean, updated_at=now())
            record(
                actor=actor,
                action=action,
                target_type="visit_person",
                target_id=str(person.public_id),
                details={"name": [old, clean]},
            )
    person.refresh_from_db()
    return person


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


@transaction.atomic
def visit_person_his_link(*, person: VisitPerson, his_patient_id: str) -> bool:
    """Keep the HIS's patient id (病人ID) of ``person`` once the HIS matched or registered them.

    Compare-and-set: only a person without one gets it (a second, concurrent match of the same person
    finds the same id and changes nothing). Returns whether it was set. Audited as the HIS link.
    Refuses nothing; an empty id is a programming error (ValueError).
    """
    if not his_patient_id:
        raise ValueError("an HIS patient id is required")
    linked = VisitPerson.objects.filter(pk=person.pk, his_patient_id="").update(his_patient_id=his_patient_id)
    if linked:
        person.his_patient_id = his_patient_id
        record(
            actor=Actor.system("his"),
            action="visit_person.his_linked",
            target_type="visit_person",
            target_id=str(person.public_id),
        )
    return bool(linked)
