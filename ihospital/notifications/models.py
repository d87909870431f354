import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.core import i18n
from ihospital.core.ids import PublicIdModel

# SMS texts open with the sender's signature (短信签名, required by carriers); the message centre doesn't.
SMS_SIGNATURE = re.compile(r"^\s*(\[[^\]]*\]|【[^】]*】)\s*")


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
        return self.shown_title

    @property
    def shown_title(self) -> str:
        """The title in the language the reader reads in now (as first sent, for older messages)."""
        return self._shown("title", self.title)

    @property
    def shown_body(self) -> str:
        return SMS_SIGNATURE.sub("", self._shown("body", self.body))

    def _shown(self, part: str, stored: str) -> str:
        source = (self.source or {}).get(part)
        return i18n.render(i18n.from_json(source)) if source else stored

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
