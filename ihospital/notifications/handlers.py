"""Outbox handler for ``security.alert``: an event that security administrators must hear about (a user
name under a password-guessing attack from many addresses), put in each active one's message centre.
Registered in NotificationsConfig.ready(). The services that detect such events sit below notifications
(accounts), so they reach it through the outbox, after their transaction commits."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from ihospital.accounts.models import Role, User
from ihospital.core.i18n import Phrase
from ihospital.notifications.services import notification_send


def _texts(payload: dict[str, Any]) -> tuple[Phrase, Phrase | str]:
    """The alert's title and message, kept untranslated: each administrator reads them in their language."""
    if payload.get("kind") == "staff_sign_in_attack":
        params = {"failures": payload["failures"], "username": payload["username"]}
        return (
            Phrase(gettext_noop("Password guessing against %(username)s"), params=params),
            Phrase(
                gettext_noop(
                    "%(failures)s failed sign-ins for the user name %(username)s from several addresses within "
                    "the hour. Sign-ins for it are refused everywhere until the hour ends; check the audit trail."
                ),
                params=params,
            ),
        )
    return Phrase(gettext_noop("Security alert")), str(payload)


def security_alert_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    """Tell every active security administrator, once per alert (de-duplicated on the outbox key)."""
    title, body = _texts(payload)
    for admin in User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True):
        notification_send(
            user=admin,
            kind=f"security.{payload.get('kind', 'alert')}",
            title=title,
            body=body,
            dedupe_key=f"{idempotency_key}:{admin.pk}"[:200],
        )
