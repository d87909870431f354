"""Account middleware, after AuthenticationMiddleware:

- ``account_language``: a signed-in person sees the interface in the language they chose, on any device:
  it is kept on the account (``User.language``), not only in one browser's cookie;
- ``session_limits``: sessions end after STAFF_IDLE_TIMEOUT_SECONDS without use (staff) and after
  SESSION_ABSOLUTE_SECONDS in any case (everyone), audited as account.session_expired."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import translation
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext_lazy as _

from ihospital.accounts import staff_sessions
from ihospital.accounts.models import STAFF_ROLES
from ihospital.audit.services import Actor
from ihospital.core.time import now


def _activate(request, user) -> None:
    if user.is_authenticated and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


@sync_and_async_middleware
def account_language(get_response):
    # Both flavours, so that under ASGI this adds no thread hop (see the note in settings.MIDDLEWARE).
    if iscoroutinefunction(get_response):

        async def middleware(request):
            _activate(request, await request.auser())
            return await get_response(request)

    else:

        def middleware(request):
            _activate(request, request.user)
            return get_response(request)

    return middleware


def _enforce_session_limits(request) -> None:
    """Sign out a session past its idle or absolute limit (accounts.staff_sessions), audited; otherwise
    note this request as its last use."""
    user = request.user
    if not user.is_authenticated:
        return
    session = request.session
    moment = now().timestamp()
    started, seen = session.get(staff_sessions.SESSION_STARTED), session.get(staff_sessions.SESSION_SEEN)
    reason = staff_sessions.session_expiry(role=user.role, started=started, seen=seen, at=moment)
    if reason:
        staff_sessions.session_end(
            user=user, session_key=session.session_key or "", reason=reason, actor=Actor.of(user, request)
        )
        logout(request)
        messages.info(request, EXPIRED_MESSAGES[reason])
        return
    if started is None:
        session[staff_sessions.SESSION_STARTED] = moment
    session[staff_sessions.SESSION_SEEN] = moment
    every = staff_sessions.TOUCH_EVERY_SECONDS
    if user.role in STAFF_ROLES and (seen is None or moment // every != seen // every):
        staff_sessions.session_touch(session_key=session.session_key or "")


EXPIRED_MESSAGES = {
    "idle": _("You were signed out after a while without activity. Please sign in again."),
    "absolute": _("Your session reached its maximum length. Please sign in again."),
}


@sync_and_async_middleware
def session_limits(get_response):
    """Idle timeout for staff (STAFF_IDLE_TIMEOUT_SECONDS) and an absolute session age for everyone
    (SESSION_ABSOLUTE_SECONDS), checked on every request. Placed after MessageMiddleware. Under ASGI a
    signed-in request takes one thread hop here (sessions and the audit trail are synchronous); anonymous
    ones take none."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            if (await request.auser()).is_authenticated:
                await sync_to_async(_enforce_session_limits)(request)
            return await get_response(request)

    else:

        def middleware(request):
            _enforce_session_limits(request)
            return get_response(request)

    return middleware
