from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class SandboxSms(models.Model):
    """What the SMS sandbox 'delivered': the developer inbox page lists these."""

    phone = models.CharField(_("mobile number"), max_length=11, db_index=True)
    text = models.TextField(_("text"))
    provider_message_id = models.CharField(_("provider message id"), max_length=40, unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox SMS")
        verbose_name_plural = _("sandbox SMS")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        # In hospital time, like every time shown (stored in UTC).
        sent = timezone.localtime(self.sent_at) if self.sent_at else None
        return gettext("SMS to %(phone)s at %(time)s") % {
            "phone": self.phone,
            "time": f"{sent:%Y-%m-%d %H:%M:%S}" if sent else "",
        }


class SandboxPayment(models.Model):
    """The payment sandbox's own record of an order, as a provider keeps it (its ``trade_state``)."""

    class State(models.TextChoices):
        NOTPAY = "NOTPAY"
        SUCCESS = "SUCCESS"
        CLOSED = "CLOSED"
        REFUND = "REFUND"

    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True)
    merchant_id = models.CharField(_("merchant id"), max_length=32)
    description = models.CharField(_("description"), max_length=127)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    notify_url = models.CharField(_("notification URL"), max_length=500)
    return_url = models.CharField(_("return URL"), max_length=500)
    expires_at = models.DateTimeField(_("expires at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NOTPAY)
    transaction_id = models.CharField(_("transaction id"), max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox payment")
        verbose_name_plural = _("sandbox payments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sandbox payment {self.out_trade_no} [{self.state}]"


class SandboxRefund(models.Model):
    """A refund the payment sandbox accepted; it completes asynchronously, like a real one."""

    class State(models.TextChoices):
        PROCESSING = "PROCESSING"
        SUCCESS = "SUCCESS"
        ABNORMAL = "ABNORMAL"

    payment = models.ForeignKey(
        SandboxPayment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    out_refund_no = models.CharField(_("refund number"), max_length=64, unique=True)
    refund_id = models.CharField(_("refund id"), max_length=32, unique=True)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=80, blank=True)
    notify_url = models.CharField(_("notification URL"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROCESSING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox refund")
        verbose_name_plural = _("sandbox refunds")
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

    event_id = models.CharField(_("event id"), max_length=36, unique=True)
    event_type = models.CharField(_("event type"), max_length=30)
    out_trade_no = models.CharField(_("order number"), max_length=32, db_index=True)
    notify_url = models.CharField(_("notification URL"), max_length=500)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_answer = models.CharField(_("last answer"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox payment notification")
        verbose_name_plural = _("sandbox payment notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.out_trade_no} [{self.status}]"


class SandboxPayFault(models.Model):
    """The payment sandbox's armed notification fault (one row). Kept in the database rather than the cache
    because the embedded mode's cache is per process, and the worker that sends notifications must see
    what the developer armed from the web page."""

    mode = models.CharField(_("mode"), max_length=10)
    delay_seconds = models.PositiveIntegerField(_("delay (seconds)"), default=0)
    remaining = models.PositiveIntegerField(_("remaining"), default=0)
    armed_at = models.DateTimeField(_("armed at"))

    class Meta:
        verbose_name = _("sandbox payment fault")
        verbose_name_plural = _("sandbox payment faults")

    def __str__(self) -> str:
        return f"{self.mode} × {self.remaining}"


class SandboxMeeting(models.Model):
    """A meeting the cloud-video sandbox holds, as the platform keeps it. Ending one keeps the row: the
    platform's meeting list (and our audit of it) stays readable."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        ENDED = "ended"

    meeting_id = models.CharField(_("meeting id"), max_length=32, unique=True)
    org_id = models.CharField(_("organisation id"), max_length=64)
    request_id = models.CharField(_("request id"), max_length=200)
    topic = models.CharField(_("topic"), max_length=200)
    host_name = models.CharField(_("host"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox meeting")
        verbose_name_plural = _("sandbox meetings")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The platform de-duplicates creates per organisation on the caller's request id.
            models.UniqueConstraint(fields=["org_id", "request_id"], name="sandbox_meeting_request_once"),
        ]

    def __str__(self) -> str:
        return f"sandbox meeting {self.meeting_id} [{self.status}]"


class SandboxCaAuthority(models.Model):
    """The built-in CA's root for one algorithm: its certificate and its key (encrypted, see ca/keystore.py)."""

    algorithm = models.CharField(_("algorithm"), max_length=20, unique=True)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    key_envelope = models.TextField(_("encrypted private key"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox CA root")
        verbose_name_plural = _("sandbox CA roots")

    def __str__(self) -> str:
        return f"sandbox CA root [{self.algorithm}]"


class SandboxCaCertificate(models.Model):
    """The built-in CA's register of what it issued and revoked, as a real CA keeps (its CRL's source)."""

    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    algorithm = models.CharField(_("algorithm"), max_length=20)
    subject = models.CharField(_("subject"), max_length=300)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sandbox CA certificate")
        verbose_name_plural = _("sandbox CA certificates")

    def __str__(self) -> str:
        return f"{self.subject} [{self.serial}]"


class SandboxShipment(models.Model):
    """A parcel the courier sandbox carries, as a courier keeps it: created → picked_up → in_transit →
    delivered | failed. ``fail_delivery`` makes its last step a failed delivery (armed on demand)."""

    class State(models.TextChoices):
        CREATED = "created"
        PICKED_UP = "picked_up"
        IN_TRANSIT = "in_transit"
        DELIVERED = "delivered"
        FAILED = "failed"

    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    waybill_no = models.CharField(_("waybill number"), max_length=20, unique=True)
    recipient_name = models.CharField(_("recipient"), max_length=50)
    recipient_phone = models.CharField(_("recipient phone"), max_length=20)
    recipient_region = models.CharField(_("region"), max_length=100)
    recipient_detail = models.CharField(_("address"), max_length=200)
    sender_name = models.CharField(_("sender"), max_length=100)
    description = models.CharField(_("description"), max_length=200)
    callback_url = models.CharField(_("callback URL"), max_length=500)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.CREATED)
    fail_delivery = models.BooleanField(_("fail the delivery"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox shipment")
        verbose_name_plural = _("sandbox shipments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sandbox shipment {self.waybill_no} [{self.state}]"


class SandboxCourierEvent(models.Model):
    """One route update the courier sandbox owes the merchant (a signed callback), with its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        GAVE_UP = "gave_up"

    shipment = models.ForeignKey(
        SandboxShipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="events"
    )
    event_id = models.CharField(_("event id"), max_length=36, unique=True)
    tracking_status = models.CharField(_("tracking status"), max_length=12)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_answer = models.CharField(_("last answer"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox courier callback")
        verbose_name_plural = _("sandbox courier callbacks")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.tracking_status} {self.event_id} [{self.status}]"


class SandboxCourierFault(models.Model):
    """The courier sandbox's armed fault (one row, in the database so the worker sees what the developer
    armed): ``fail`` the next shipment's delivery, post the next callback twice (``duplicate``), or alter
    it after signing (``corrupt``)."""

    mode = models.CharField(_("mode"), max_length=10)
    remaining = models.PositiveIntegerField(_("remaining"), default=0)
    armed_at = models.DateTimeField(_("armed at"))

    class Meta:
        verbose_name = _("sandbox courier fault")
        verbose_name_plural = _("sandbox courier faults")

    def __str__(self) -> str:
        return f"{self.mode} × {self.remaining}"
