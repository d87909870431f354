"""Staff browser sessions: when each began and was last seen (UserSession), the idle and absolute limits,
and signing out the other sessions. Used by the sign-in views and accounts.middleware.session_limits.

A session carries two timestamps (seconds since the epoch, UTC): SESSION_STARTED at sign-in and
SESSION_SEEN at each request. ``session_expiry`` says whether one of the limits has passed:
STAFF_IDLE_TIMEOUT_SECONDS without a request (staff), SESSION_ABSOLUTE_SECONDS since sign-in (everyone).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from ihospital.accounts.models import STAFF_ROLES, User, UserSession
from ihospital.audit.services import Actor, record
from ihospital.core.time import now

SESSION_STARTED = "accounts.started"
SESSION_SEEN = "accounts.seen"
TOUCH_EVERY_SECONDS = 60  # UserSession.last_seen_at is written at most this often


def session_expiry(*, role: str, started: float | None, seen: float | None, at: float) -> str:
    """ "absolute", "idle" or "" (still valid) for a session started and last seen at these moments."""
    if started is not None and at - started > settings.SESSION_ABSOLUTE_SECONDS:
        return UserSession.EndReason.ABSOLUTE.value
    if role in STAFF_ROLES and seen is not None and at - seen > settings.STAFF_IDLE_TIMEOUT_SECONDS:
        return UserSession.EndReason.IDLE.value
    return ""


@transaction.atomic
def session_start(*, user: User, session_key: str, actor: Actor) -> None:
    """Record a staff member's new browser session (after ``login``). Audited as account.session_start."""
    moment = now()
    UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "started_at": moment,
            "last_seen_at": moment,
            "ip": actor.ip,
            "user_agent": (actor.user_agent or "")[:300],
            "ended_at": None,
            "end_reason": "",
        },
    )
    record(actor=actor, action="account.session_start", target_type="user", target_id=str(user.public_id))


def session_touch(*, session_key: str) -> None:
    """The session was used now (called at most every TOUCH_EVERY_SECONDS per session)."""
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(last_seen_at=now())


@transaction.atomic
def session_end(*, user: User, session_key: str, reason: str, actor: Actor) -> None:
    """Mark a session ended (the caller signs it out) and audit it: account.sign_out when the person
    signed out, account.session_expired {reason} when a limit ended it."""
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(ended_at=now(), end_reason=reason)
    action = "account.sign_out" if reason == UserSession.EndReason.SIGNED_OUT else "account.session_expired"
    record(actor=actor, action=action, target_type="user", target_id=str(user.public_id), details={"reason": reason})


def active_sessions(user: User) -> QuerySet[UserSession]:
    """The sessions of ``user`` that can still be used (not ended, within both limits), newest first."""
    moment = now()
    return UserSession.objects.filter(
        user=user,
        ended_at__isnull=True,
        started_at__gt=moment - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS),
        last_seen_at__gt=moment - timedelta(seconds=settings.STAFF_IDLE_TIMEOUT_SECONDS + TOUCH_EVERY_SECONDS),
    ).order_by("-started_at")


@transaction.atomic
def sessions_end_others(*, user: User, keep_session_key: str, actor: Actor) -> int:
    """Sign ``user`` out of every other browser session: their session data is deleted from the session
    store and the rows marked ended. Returns how many. Audited as account.sessions_end_others {count}."""
    others = UserSession.objects.filter(user=user, ended_at__isnull=True).exclude(session_key=keep_session_key)
    keys = list(others.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    others.update(ended_at=now(), end_reason=UserSession.EndReason.ENDED_ELSEWHERE)
    record(
        actor=actor,
        action="account.sessions_end_others",
        target_type="user",
        target_id=str(user.public_id),
        details={"count": len(keys)},
    )
    return len(keys)
