from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel


class Notification(PublicIdModel):
    """One message in a person's message centre (消息提醒). Written only by ``notification_send``, which
    also queues the SMS and the live push. ``dedupe_key`` names the event it reports, so sending the same
    event twice (a retried task, a restarted worker) never gives the person two messages."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The title and message before translation (source texts and their parameters), so that each reader
    # sees them in the language they read in now; title/body keep the text as first sent (the SMS, and
    # messages written before this existed).
    source = models.JSONField(_("text before translation"), null=True, blank=True, editable=False)
    dedupe_key = models.CharField(_("de-duplication key"), max_length=200, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
