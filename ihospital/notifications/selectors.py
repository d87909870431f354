"""Reads of the message centre. Everything is scoped to the person reading: no one lists another's."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from ihospital.accounts.models import User
from ihospital.core.errors import CoreError, DomainError
from ihospital.notifications.models import Notification


def notifications_for(user: User, *, limit: int = 50) -> QuerySet[Notification]:
    """The person's newest messages first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def access_notification(*, user: User, public_id: UUID | str) -> Notification:
    """One of ``user``'s messages. Refuses: core.not_found (also when it is someone else's)."""
    found = Notification.objects.filter(user=user, public_id=public_id).first()
    if found is None:
        raise DomainError(CoreError.NOT_FOUND)
    return found
