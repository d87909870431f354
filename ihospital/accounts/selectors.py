"""Account reads. Reads of a visit person's data are recorded in the audit trail here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from ihospital.accounts.models import ApiToken, SmsCode, User, VisitPerson
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now


def visit_person_list(*, account: User, actor: Actor) -> list[VisitPerson]:
    """The visit persons ``account`` manages now (removed ones are kept for the records but not listed)."""
    persons = list(VisitPerson.objects.filter(account=account, removed_at__isnull=True))
    with transaction.atomic():
        record(
            actor=actor,
            action="visit_person.list",
            target_type="user",
            target_id=str(account.public_id),
            details={"visit_persons": [str(p.public_id) for p in persons]},
        )
    return persons


def access_visit_person(*, user: User, public_id: UUID | str, actor: Actor, record_read: bool = True) -> VisitPerson:
    """Fetch a visit person the user manages. Someone else's, a removed one (or a malformed id) is not found.

    The read is recorded (``visit_person.read``) unless ``record_read`` is False: only for a caller that
    passes the person to a service whose own audit entry names them (booking), so one act is one entry."""
    try:
        person = VisitPerson.objects.get(public_id=public_id, account=user, removed_at__isnull=True)
    except (VisitPerson.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DomainError(CoreError.NOT_FOUND) from None
    if not record_read:
        return person
    with transaction.atomic():
        record(actor=actor, action="visit_person.read", target_type="visit_person", target_id=str(person.public_id))
    return person


TOKEN_CACHE_SECONDS = 30


def token_cache_key(digest: str) -> str:
    return f"accounts:api_token:{digest}"


def user_for_api_token(secret: str) -> User | None:
    """The active user behind a Bearer token, or None if unknown, expired or revoked.

    A valid token's user is cached for TOKEN_CACHE_SECONDS (never past the token's expiry): an app
    makes many requests in a row, and this lookup was the costliest part of a cheap answer. Revoking
    a token clears its entry at once; deactivating an account takes effect within that time."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    cached = cache.get(token_cache_key(digest))
    if cached is not None and cached.api_token.expires_at > now():
        return cached
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=digest, revoked_at__isnull=True, expires_at__gt=now(), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    token.user.api_token = token  # type: ignore[attr-defined]  # lets sign-out revoke this very token
    ttl = min(TOKEN_CACHE_SECONDS, int((token.expires_at - now()).total_seconds()))
    if ttl > 0:
        cache.set(token_cache_key(digest), token.user, timeout=ttl)
    return token.user


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


@dataclass(frozen=True)
class PendingCode:
    """A sign-in code sent to a number that can still be entered, and when a new one may be asked for."""

    expires_in: int  # seconds
    resend_in: int  # seconds; 0: now


def sms_code_pending(phone: str) -> PendingCode | None:
    """The latest unused, unexpired sign-in code sent to ``phone`` (a normalised number), or None. For the
    sign-in page reloaded after a code was sent: the code field stays, the resend button waits."""
    latest = (
        SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now())
        .order_by("-created_at")
        .values_list("created_at", "expires_at")
        .first()
    )
    if latest is None:
        return None
    created_at, expires_at = latest
    elapsed = int((now() - created_at).total_seconds())
    return PendingCode(
        expires_in=max(0, int((expires_at - now()).total_seconds())),
        resend_in=max(0, settings.SMS_RESEND_INTERVAL_SECONDS - elapsed),
    )


def active_user(public_id: str) -> User | None:
    """The active account with this public id, or None (a staff sign-in between its steps)."""
    try:
        return User.objects.filter(public_id=public_id, is_active=True).first()
    except (ValueError, ValidationError):
        return None
