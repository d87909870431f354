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


class SandboxPayment(models.Model):
    """The payment sandbox's own record of an order, as a provider keeps it (its ``trade_state``)."""

    class State(models.TextChoices):
        NOTPAY = "NOTPAY"
        SUCCESS = "SUCCESS"
        CLOSED = "CLOSED"
        REFUND = "REFUND"

    out_trade_no = models.CharField(max_length=32, unique=True)
    merchant_id = models.CharField(max_length=32)
    description = models.CharField(max_length=127)
    amount_fen = models.PositiveIntegerField()
    notify_url = models.CharField(max_length=500)
    return_url = models.CharField(max_length=500)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.NOTPAY)
    transaction_id = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sandbox payment {self.out_trade_no} [{self.state}]"


class SandboxRefund(models.Model):
    """A refund the payment sandbox accepted; it completes asynchronously, like a real one."""

    class State(models.TextChoices):
        PROCESSING = "PROCESSING"
        SUCCESS = "SUCCESS"
        ABNORMAL = "ABNORMAL"

    payment = models.ForeignKey(SandboxPayment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=64, unique=True)
    refund_id = models.CharField(max_length=32, unique=True)
    amount_fen = models.PositiveIntegerField()
    reason = models.CharField(max_length=80, blank=True)
    notify_url = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROCESSING)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sandbox refund {self.out_refund_no} [{self.state}]"


class SandboxNotification(models.Model):
    """One notification the payment sandbox owes the merchant, with its delivery attempts."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        DROPPED = "dropped"  # lost on purpose (fault injection): only an active query finds the payment
        GAVE_UP = "gave_up"  # the retry schedule ran out

    event_id = models.CharField(max_length=36, unique=True)
    event_type = models.CharField(max_length=30)
    out_trade_no = models.CharField(max_length=32, db_index=True)
    notify_url = models.CharField(max_length=500)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_answer = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.out_trade_no} [{self.status}]"


class SandboxPayFault(models.Model):
    """The payment sandbox's armed notification fault (one row). Kept in the database rather than the cache
    because the embedded mode's cache is per process, and the worker that sends notifications must see
    what the developer armed from the web page."""

    mode = models.CharField(max_length=10)
    delay_seconds = models.PositiveIntegerField(default=0)
    remaining = models.PositiveIntegerField(default=0)
    armed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.mode} × {self.remaining}"


class SandboxMeeting(models.Model):
    """A meeting the cloud-video sandbox holds, as the platform keeps it. Ending one keeps the row: the
    platform's meeting list (and our audit of it) stays readable."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        ENDED = "ended"

    meeting_id = models.CharField(max_length=32, unique=True)
    org_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=200)
    host_name = models.CharField(max_length=100)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The platform de-duplicates creates per organisation on the caller's request id.
            models.UniqueConstraint(fields=["org_id", "request_id"], name="sandbox_meeting_request_once"),
        ]

    def __str__(self) -> str:
        return f"sandbox meeting {self.meeting_id} [{self.status}]"
