"""Writes of the message centre: send one message (in-app, SMS, live push) and mark messages read.

    notification_send(
        user=appointment.account,
        kind="appointment.accepted",
        title=_("Booking accepted"),
        body=text,
        link=f"/p/appointments/{appointment.public_id}/",
        dedupe_key=f"appointment:{appointment.public_id}:accepted",
        sms_text=text,
    )

Texts arrive already translated (the caller knows the reader's language). The SMS leaves through the
outbox and the live push after commit, so a rolled-back change announces nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import transaction
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import override

from ihospital.accounts.models import Role, User
from ihospital.core import i18n, outbox, realtime
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now
from ihospital.notifications import selectors
from ihospital.notifications.models import Notification

Text = str | i18n.Phrase | Sequence[i18n.Phrase]


def user_group(user: User) -> str:
    """The channel-layer group of one person's open pages (every tab, every device)."""
    return f"notify.{user.public_id.hex}"


def is_local_link(link: str) -> bool:
    """A path on this site (``/p/appointments/…``): never another host, never ``javascript:``."""
    return link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None)


@transaction.atomic
def notification_send(
    *,
    user: User,
    kind: str,
    title: Text,
    body: Text,
    link: str = "",
    dedupe_key: str | None = None,
    sms_text: Text | None = None,
) -> Notification:
    """Put a message in ``user``'s message centre; return it (the first one, for a repeated ``dedupe_key``).

    Texts are ``Phrase``s (or lists of them; see ihospital.core.i18n): stored untranslated and shown to
    the reader in the language they read in, while the SMS and the stored copy are rendered in the
    user's language now. A plain string is taken as already translated (and shown as it is).
    Preconditions: ``link`` is a local path or empty (ValueError otherwise).
    Idempotent on ``dedupe_key``: a repeat, even a concurrent one, creates nothing and sends nothing,
    and never raises out of the caller's transaction (``INSERT … ON CONFLICT DO NOTHING``).
    Side effects, only for a new message: an ``sms.send`` outbox row when ``sms_text`` is given and the
    user has a phone; a ``notification.new`` event to ``user_group(user)`` after commit.
    """
    dedupe_key = dedupe_key or None
    if link and not is_local_link(link):
        raise ValueError(f"notification link must be a local path, not {link!r}")
    texts = (("title", title), ("body", body))
    source = {part: i18n.to_json(text) for part, text in texts if not isinstance(text, str)}
    with override(user.reading_language):
        title, body = i18n.render(title), i18n.render(body)
        sms_text = i18n.render(sms_text) if sms_text else None
    candidate = Notification(
        user=user, kind=kind, title=title[:200], body=body, link=link, dedupe_key=dedupe_key, source=source or None
    )
    if dedupe_key is None:
        candidate.save()
        notification = candidate
    else:
        Notification.objects.bulk_create([candidate], ignore_conflicts=True)
        notification = Notification.objects.get(dedupe_key=dedupe_key)
        if notification.public_id != candidate.public_id:
            return notification  # sent before: nothing more to do
        notification.user = user
    if sms_text and user.phone:
        outbox.enqueue(
            topic="sms.send",
            payload={"phone": user.phone, "text": sms_text},
            idempotency_key=f"notification:{dedupe_key or notification.public_id}",
        )
    with override(user.reading_language):
        payload = live_payload(notification, selectors.unread_count(user))
    realtime.publish_on_commit(user_group(user), {"type": "notification.new", **payload})
    return notification


def open_url(notification: Notification) -> str:
    """Where a click on the message goes: the reader's message centre marks it read, then follows its link."""
    name = "notifications:patient_open" if notification.user.role == Role.PATIENT else "notifications:staff_open"
    return reverse(name, args=[notification.public_id])


def live_payload(notification: Notification, unread_count: int) -> dict[str, Any]:
    """What a page receives about a new message (plain JSON types: it may cross Redis), in the active
    language."""
    return {
        "id": notification.public_id.hex,
        "kind": notification.kind,
        "title": notification.shown_title,
        "body": notification.shown_body,
        "link": notification.link,
        "open_url": open_url(notification),
        "created_at": notification.created_at.isoformat(),
        "unread_count": unread_count,
    }


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: UUID | str) -> bool:
    """Mark one of ``user``'s messages read. Returns False if it was already read.

    Refuses: core.not_found (no such message, or not ``user``'s — the same answer, so ids can't be probed).
    Side effects: the new unread count is pushed to the user's pages after commit.
    """
    marked = Notification.objects.filter(user=user, public_id=notification_id, read_at__isnull=True).update(
        read_at=now()
    )
    if not marked:
        if not Notification.objects.filter(user=user, public_id=notification_id).exists():
            raise DomainError(CoreError.NOT_FOUND)
        return False
    _publish_unread(user)
    return True


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread message of ``user`` read; return how many. Pushes the new count after commit."""
    marked = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now())
    if marked:
        _publish_unread(user)
    return marked


def _publish_unread(user: User) -> None:
    realtime.publish_on_commit(
        user_group(user), {"type": "notification.unread", "unread_count": selectors.unread_count(user)}
    )
