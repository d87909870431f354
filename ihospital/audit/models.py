from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only entry of the audit trail (docs/decisions/0002-audit-chain-after-commit.md).

    Written by the service's transaction with an HMAC of its own content (``mac``), so an edited or
    forged entry shows at once; a chaining step then gives it, once and in order, its place in the chain
    (``seq``, ``prev_hash``, ``hash``: an HMAC over its content and the previous entry's hash), so
    editing, inserting or deleting a chained row breaks the chain (see ``audit_verify``). Until then
    (normally a second or two) ``seq`` is NULL and both hashes are empty.

    The actor is copied (public id, name, role) rather than referenced, so the trail outlives accounts.
    """

    seq = models.BigIntegerField(_("sequence number"), unique=True, null=True, editable=False)
    created_at = models.DateTimeField(_("time"), editable=False)
    actor_id = models.CharField(_("actor id"), max_length=64, blank=True, editable=False)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True, editable=False)
    actor_role = models.CharField(_("actor's role"), max_length=30, blank=True, editable=False)
    action = models.CharField(_("action"), max_length=100, db_index=True, editable=False)
    target_type = models.CharField(_("target type"), max_length=60, blank=True, editable=False)
    target_id = models.CharField(_("target id"), max_length=64, blank=True, db_index=True, editable=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True, editable=False)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True, editable=False)
    details = models.JSONField(_("details"), default=dict, editable=False)
    # mac is empty only on entries written before 0003
    mac = models.CharField(_("entry MAC"), max_length=64, blank=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)  # empty until chained
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)  # empty until chained

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unchained")]
        constraints = [
            models.UniqueConstraint(fields=["hash"], condition=models.Q(seq__isnull=False), name="audit_hash_unique")
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        if self.seq is None:
            return gettext("Audit entry (not yet chained, id %(id)s)") % {"id": self.pk}
        return gettext("Audit entry #%(seq)s") % {"seq": self.seq}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("audit events are append-only")


class AuditChainHead(models.Model):
    """The end of the chain: a single row locked by the chaining step, so entries are chained one after
    another (service transactions that record entries never lock it)."""

    last_seq = models.BigIntegerField(_("last sequence number"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"audit chain at #{self.last_seq}"
