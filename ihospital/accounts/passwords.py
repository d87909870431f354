"""Staff passwords (等保 level 3): complexity and history validators (in AUTH_PASSWORD_VALIDATORS, so every
password set through Django's validation obeys them), expiry after PASSWORD_MAX_AGE_DAYS, and the writes
that set a password: each records the hash in the history and the time of the change.

    password_set(user=..., password=...)        # inside a service's transaction: hash, history, changed_at
    password_expired(user)                      # True when a staff member must change it before going on
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ihospital.accounts.models import STAFF_ROLES, PasswordHistory, User
from ihospital.core.time import now


class CharacterClassesValidator:
    """At least ``min_classes`` of: upper-case letters, lower-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix at least %(count)d of: upper-case letters, lower-case letters, digits, symbols."
        ) % {"count": self.min_classes}


class PasswordHistoryValidator:
    """Not the current password nor one of the last PASSWORD_HISTORY_COUNT (compared with their hashes)."""

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        count = settings.PASSWORD_HISTORY_COUNT
        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        earlier = PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at")
        hashes = [current, *earlier.values_list("password", flat=True)[:count]]
        if any(encoded and check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self) -> str:
        count = settings.PASSWORD_HISTORY_COUNT
        return ngettext(
            "Your password must differ from your last password.",
            "Your password must differ from your last %(count)d passwords.",
            count,
        ) % {"count": count}


def password_set(*, user: User, password: str) -> None:
    """Set ``user``'s password (already validated by the caller): the new hash, the old one into the history
    (pruned to PASSWORD_HISTORY_COUNT), and ``password_changed_at``. Call inside the caller's transaction;
    the caller audits."""
    old = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
    moment = now()
    if old:
        PasswordHistory.objects.create(user=user, password=old, created_at=moment)
        keep = PasswordHistory.objects.filter(user=user).order_by("-created_at")[: settings.PASSWORD_HISTORY_COUNT]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep.values_list("pk", flat=True))).delete()
    user.set_password(password)
    user.password_changed_at = moment
    User.objects.filter(pk=user.pk).update(password=user.password, password_changed_at=moment)


def password_expired(user: User) -> bool:
    """A staff member's password older than PASSWORD_MAX_AGE_DAYS (patients have none)."""
    if user.role not in STAFF_ROLES:
        return False
    changed = User.objects.filter(pk=user.pk).values_list("password_changed_at", flat=True).first()
    return changed is None or changed < now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
