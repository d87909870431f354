from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only entry of the audit trail. Each carries an HMAC over its content and the previous
    entry's hash, so editing, inserting or deleting a row breaks the chain (see ``audit_verify``).

    The actor is copied (public id, name, role) rather than referenced, so the trail outlives accounts.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(editable=False)
    actor_id = models.CharField(max_length=64, blank=True, editable=False)
    actor_name = models.CharField(max_length=150, blank=True, editable=False)
    actor_role = models.CharField(max_length=30, blank=True, editable=False)
    action = models.CharField(max_length=100, db_index=True, editable=False)
    target_type = models.CharField(max_length=60, blank=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=300, blank=True, editable=False)
    details = models.JSONField(default=dict, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("audit events are append-only")


class AuditChainHead(models.Model):
    """A single row locked by every writer so that entries are chained one after another."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain at #{self.last_seq}"
