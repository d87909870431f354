import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel
from ihospital.core.time import local, now


def new_trade_no(prefix: str) -> str:
    """28 characters, sortable by time, unguessable: ``IH20261126143005`` + 12 random hex (WeChat allows 32)."""
    return f"{prefix}{local(now()):%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def new_out_trade_no() -> str:
    return new_trade_no("IH")


def new_out_refund_no() -> str:
    return new_trade_no("RF")


class PaymentOrder(PublicIdModel):
    """支付订单: what one payer owes for one payable (e.g. a registration), and what the provider said.

    created → paid → refunding → partially_refunded / refunded; created → closed (gave up or expired).
    A payment arriving after the close still moves closed → paid (the money is real); payments then asks
    the payable, which refuses, and refunds it in full.
    """

    class Status(models.TextChoices):
        CREATED = "created", _("Awaiting payment")
        PAID = "paid", _("Paid")
        REFUNDING = "refunding", _("Refund in progress")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.PAID: {Status.CREATED, Status.CLOSED},
        Status.CLOSED: {Status.CREATED},
        Status.REFUNDING: {Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDING},
        Status.PARTIALLY_REFUNDED: {Status.REFUNDING},
        Status.REFUNDED: {Status.REFUNDING},
    }
    # When the last pending refund fails, the order returns to where it was before refunding. Kept apart
    # from TRANSITIONS so that nothing else (a duplicate payment notification) can move refunding → paid.
    REFUND_FAILED_TRANSITIONS = {
        Status.PAID: {Status.REFUNDING},
        Status.PARTIALLY_REFUNDED: {Status.REFUNDING},
    }
    REFUNDABLE = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDING)

    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True, default=new_out_trade_no)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="payment_orders"
    )
    payable_kind = models.CharField(_("kind of payable"), max_length=40)
    payable_id = models.CharField(_("payable id"), max_length=64)
    description = models.CharField(_("what is paid for"), max_length=127)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    refunded_fen = models.PositiveIntegerField(_("refunded (fen)"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CREATED)
    provider = models.CharField(_("payment provider"), max_length=30)
    provider_txn_id = models.CharField(_("provider transaction id"), max_length=64, blank=True)
    pay_url = models.CharField(_("payment link"), max_length=1000, blank=True)
    expires_at = models.DateTimeField(_("pay before"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_fen__lte=F("amount_fen")), name="payment_order_refund_within_amount"
            ),
            # One open order per payable: two could both be paid.
            models.UniqueConstraint(
                fields=["payable_kind", "payable_id"], condition=Q(status="created"), name="payment_order_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_order_status_idx"),
            models.Index(fields=["payable_kind", "payable_id"], name="payment_order_payable_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.out_trade_no} [{self.get_status_display()}]"


class Refund(PublicIdModel):
    """退款: part or all of a paid order going back to the payer. pending → succeeded | failed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("In progress")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.SUCCEEDED: {Status.PENDING},
        Status.FAILED: {Status.PENDING},
    }

    order = models.ForeignKey(
        PaymentOrder, verbose_name=_("payment order"), on_delete=models.PROTECT, related_name="refunds"
    )
    out_refund_no = models.CharField(_("refund number"), max_length=64, unique=True, default=new_out_refund_no)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=80)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    provider_refund_id = models.CharField(_("provider refund id"), max_length=64, blank=True)
    failure_reason = models.CharField(_("reason for failure"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_idx")]

    def __str__(self) -> str:
        return f"{self.out_refund_no} [{self.get_status_display()}]"


class PaymentNotification(PublicIdModel):
    """Every notification a provider (or anyone) posted to the notify endpoint, stored raw before it is
    looked at — forged ones too — with what was made of it."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed (will be retried by the provider)")

    provider = models.CharField(_("payment provider"), max_length=30)
    received_at = models.DateTimeField(_("received at"))
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"))
    signature_valid = models.BooleanField(_("signature valid"), default=False)
    kind = models.CharField(_("kind"), max_length=10, blank=True)
    out_trade_no = models.CharField(_("order number"), max_length=32, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")

    def __str__(self) -> str:
        return f"{self.out_trade_no or '?'} [{self.get_outcome_display()}]"


class HisMismatch(PublicIdModel):
    """对账差异: one difference between our payments or refunds of a day and the HIS's statement of that day,
    found by the daily reconciliation, listed for the hospital administrator who resolves it with a note."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")

    class Problem(models.TextChoices):
        MISSING_IN_HIS = "missing_in_his", _("Not in the HIS statement")
        MISSING_HERE = "missing_here", _("In the HIS statement only")
        AMOUNT_DIFFERS = "amount_differs", _("Amounts differ")

    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reference = models.CharField(_("payment order id"), max_length=64)  # the order's public id, on both sides
    problem = models.CharField(_("problem"), max_length=20, choices=Problem.choices)
    ours_fen = models.PositiveIntegerField(_("our amount (fen)"), null=True, blank=True)
    his_fen = models.PositiveIntegerField(_("HIS amount (fen)"), null=True, blank=True)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.TextField(_("note"), blank=True, max_length=1000)

    class Meta:
        ordering = ["-day", "kind", "reference"]
        verbose_name = _("HIS reconciliation difference")
        verbose_name_plural = _("HIS reconciliation differences")
        constraints = [
            models.UniqueConstraint(fields=["day", "kind", "reference"], name="his_mismatch_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.reference} [{self.problem}]"
