from django.db import models


class SandboxSms(models.Model):
    """What the SMS sandbox 'delivered': the developer inbox page lists these."""

    phone = models.CharField(max_length=11, db_index=True)
    text = models.TextField()
    provider_message_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"SMS to {self.phone} at {self.sent_at:%Y-%m-%d %H:%M:%S}"
