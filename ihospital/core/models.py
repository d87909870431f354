from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel


class OutboxMessage(PublicIdModel):
    """A message that must reach another system, written in the same transaction as the change.

    A huey task delivers it after commit; transient failures are retried with exponential backoff,
    permanent ones (and those out of attempts) are parked as ``dead`` for an administrator to replay.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        DEAD = "dead", _("dead")

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} [{self.status}] {self.idempotency_key}"


class IdempotencyRecord(models.Model):
    """The first answer given to an ``Idempotency-Key``: a retry with the same key gets the same answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=100)
    status_code = models.PositiveSmallIntegerField(null=True)  # None while the first request is running
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key", "endpoint"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
