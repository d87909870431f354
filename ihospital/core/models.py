from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import DomainError, ErrorCode
from ihospital.core.ids import PublicIdModel


class OutboxMessage(PublicIdModel):
    """A message that must reach another system, written in the same transaction as the change.

    A huey task delivers it after commit; transient failures are retried with exponential backoff,
    permanent ones (and those out of attempts) are parked as ``dead`` for an administrator to replay.
    A system that answers later takes the message (``acknowledged``, its receipt kept) and its answer
    closes it (``completed``, or ``dead`` if it refused). ``correlation_id`` names the business event
    (the caller's public id, say) in every log line of every attempt, ours and the HTTP client's.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        COMPLETED = "completed", _("completed")
        DEAD = "dead", _("dead")

    # {target: sources}, moved by ihospital.core.state.transition (compare-and-set on status).
    TRANSITIONS = {
        Status.PENDING: {Status.PENDING, Status.DEAD},  # a transient failure waits; a replay revives
        Status.SENT: {Status.PENDING},
        Status.ACKNOWLEDGED: {Status.PENDING},
        # From pending too: the late answer may overtake the write of the acknowledgement.
        Status.COMPLETED: {Status.PENDING, Status.ACKNOWLEDGED},
        Status.DEAD: {Status.PENDING, Status.ACKNOWLEDGED},  # refused now, out of attempts, or refused later
    }

    topic = models.CharField(_("topic"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    correlation_id = models.CharField(_("correlation id"), max_length=100, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    receipt = models.JSONField(_("receipt"), null=True, blank=True)  # what an acknowledging system gave us to wait on
    outcome = models.JSONField(_("outcome"), null=True, blank=True)  # its later answer
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)  # delivered or acknowledged
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)  # the acknowledged message's answer came

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]
        ordering = ["id"]

    def __str__(self) -> str:
        return gettext("Message %(number)s [%(status)s]") % {"number": self.pk, "status": self.get_status_display()}


class IdempotencyRecord(models.Model):
    """The first answer given to an ``Idempotency-Key``: a retry with the same key gets the same answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE)
    key = models.CharField(_("key"), max_length=100)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    status_code = models.PositiveSmallIntegerField(
        _("status code"), null=True
    )  # None while the first request is running
    response = models.JSONField(_("response"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key", "endpoint"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class KeptQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise DomainError(self.model.not_deletable)  # type: ignore[attr-defined]  # a KeptModel's queryset

    delete.queryset_only = True  # type: ignore[attr-defined]


class KeptModel(PublicIdModel):
    """A clinical row: no ``delete()`` on the instance or on any queryset (ARCHITECTURE §4.9). A subclass
    names the coded refusal its app gives (``not_deletable``)."""

    not_deletable: ErrorCode

    objects = KeptQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise DomainError(self.not_deletable)
