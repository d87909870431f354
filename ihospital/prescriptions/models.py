"""电子处方: a prescription written in a consultation, in numbered versions, reviewed by a pharmacist (审方).

A ``Prescription`` carries the state the patient and the pharmacy see (SPEC §5), from the doctor's draft to
delivery or pickup. Its content lives in ``PrescriptionVersion`` rows: the doctor edits the open version
(its ``PrescriptionItem`` rows), submitting signs it (items, diagnoses, findings and reasons frozen in the
signed snapshot), the pharmacist approves (signing it too) or rejects it; a rejected prescription is revised
as a new version, and earlier versions stay readable with their signatures. Nothing here is ever deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.core import models as core_models
from ihospital.core.errors import DomainError
from ihospital.prescriptions.errors import PrescriptionError


class KeptModel(core_models.KeptModel):
    not_deletable = PrescriptionError.NOT_DELETABLE

    class Meta:
        abstract = True


class Prescription(KeptModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being written")
        SUBMITTED = "submitted", _("Awaiting the pharmacist's review")
        APPROVED = "approved", _("Approved by the pharmacist")
        REJECTED = "rejected", _("Returned by the pharmacist")
        RELEASED = "released", _("Awaiting payment")
        PAID = "paid", _("Paid")
        DISPENSED = "dispensed", _("Dispensed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        PICKED_UP = "picked_up", _("Picked up")
        EXPIRED = "expired", _("Expired")
        VOID = "void", _("Void")

    # target → allowed sources (SPEC §5)
    TRANSITIONS = {
        Status.SUBMITTED: {Status.DRAFT},
        Status.APPROVED: {Status.SUBMITTED},
        Status.REJECTED: {Status.SUBMITTED},
        Status.DRAFT: {Status.REJECTED},  # the doctor revises: a new version is opened
        Status.RELEASED: {Status.APPROVED},
        Status.PAID: {Status.RELEASED},
        Status.DISPENSED: {Status.PAID},
        Status.SHIPPED: {Status.DISPENSED},
        Status.DELIVERED: {Status.SHIPPED},
        Status.READY_FOR_PICKUP: {Status.DISPENSED},
        Status.PICKED_UP: {Status.READY_FOR_PICKUP},
        Status.EXPIRED: {Status.RELEASED},  # unpaid past valid_until
        # any time before dispensing (a paid one is refunded by the service that voids it)
        Status.VOID: {Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.RELEASED, Status.PAID},
    }
    # The doctor is still writing or the pharmacist has not approved: one such prescription per consultation.
    OPEN = (Status.DRAFT, Status.SUBMITTED, Status.REJECTED)
    # What the patient may see: released by the pharmacist's approval, and everything after.
    PATIENT_VISIBLE = (
        Status.RELEASED,
        Status.PAID,
        Status.DISPENSED,
        Status.SHIPPED,
        Status.DELIVERED,
        Status.READY_FOR_PICKUP,
        Status.PICKED_UP,
        Status.EXPIRED,
        Status.VOID,  # only when voided after release (released_at set): see selectors
    )

    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    # Keyed on the person treated, not the account that booked: a parent's account books for a child.
    visit_person = models.ForeignKey(
        "accounts.VisitPerson", verbose_name=_("visit person"), on_delete=models.PROTECT, related_name="prescriptions"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="prescriptions_written",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"), default=0)  # of the current version's items
    created_at = models.DateTimeField(_("created at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    # Fulfilment (the fulfilment app's services move these): the payment order's public id, not a foreign key.
    payment_order_public_id = models.UUIDField(_("payment order id"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    dispensed_at = models.DateTimeField(_("dispensed at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready for pickup at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("delivered or picked up at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["-created_at", "-id"]
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation"],
                condition=Q(status__in=["draft", "submitted", "rejected"]),
                name="prescription_one_open_per_consultation",
            ),
            models.CheckConstraint(
                condition=~Q(status="released") | Q(released_at__isnull=False, valid_until__isnull=False),
                name="prescription_released_has_validity",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="prescription_status_valid_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} [{self.status}]"


class PrescriptionVersion(KeptModel):
    """One version of a prescription: edited as a draft, signed by the doctor, reviewed by a pharmacist."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNING = "signing", _("Being signed")  # edits refused while the CA signs what the doctor saw
        SUBMITTED = "submitted", _("Signed, awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        VOID = "void", _("Void")  # the prescription was voided before this version was reviewed

    TRANSITIONS = {
        Status.SIGNING: {Status.DRAFT},
        Status.DRAFT: {Status.SIGNING},  # the signing failed (wrong PIN …): back to the draft
        Status.SUBMITTED: {Status.SIGNING},
        Status.APPROVED: {Status.SUBMITTED},
        Status.REJECTED: {Status.SUBMITTED},
        Status.VOID: {Status.DRAFT, Status.SUBMITTED},
    }
    OPEN = (Status.DRAFT, Status.SIGNING)

    class RejectReason(models.TextChoices):
        """Why a pharmacist returns a prescription (审方不合格的理由), a small coded list."""

        INDICATION = "indication", _("The drug does not suit the diagnosis")
        DOSE = "dose", _("Dose or frequency inappropriate")
        INTERACTION = "interaction", _("Interaction or duplicate therapy")
        CONTRAINDICATION = "contraindication", _("Contraindicated for this patient (allergy, age, pregnancy)")
        QUANTITY = "quantity", _("Quantity or days' supply inappropriate")
        REASON_INSUFFICIENT = "reason_insufficient", _("The reason given for a warning is not sufficient")
        OTHER = "other", _("Other (see the comment)")

    prescription = models.ForeignKey(
        Prescription, verbose_name=_("prescription"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every edit: submitting names the revision the doctor checked and is refused if it moved.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    # The signed medical record version the diagnoses come from, and its diagnoses as they were:
    # [{"code": "I10", "name": "原发性高血压"}]
    record_version = models.ForeignKey(
        "records.RecordVersion", verbose_name=_("record version"), on_delete=models.PROTECT, related_name="+"
    )
    diagnoses = models.JSONField(_("diagnoses"), default=list)
    # Facts the doctor records for the checks: a child's weight, the guardian present, a 长期处方.
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True)
    guardian_present = models.BooleanField(_("guardian present"), default=False)
    long_term = models.BooleanField(_("long-term prescription"), default=False)
    pregnant = models.BooleanField(_("pregnant"), default=False)
    lactating = models.BooleanField(_("breastfeeding"), default=False)
    # The last rule check: [Finding.as_dict()], {family: version} of the rule files that ran, and when.
    findings = models.JSONField(_("rule findings"), default=list)
    rule_versions = models.JSONField(_("rule versions"), default=dict)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # The doctor's written reason for each warning: {rule: reason}.
    warn_reasons = models.JSONField(_("reasons for warnings"), default=dict, blank=True)
    # What the doctor signed: items, diagnoses, findings and reasons as they were (the signed payload's content).
    items_snapshot = models.JSONField(_("items as signed"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))
    saved_at = models.DateTimeField(_("saved at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    doctor_signature = models.OneToOneField(
        "signatures.Signature",
        verbose_name=_("doctor's signature"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescription_version_signed",
    )
    pharmacist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pharmacist"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriptions_reviewed",
    )
    pharmacist_signature = models.OneToOneField(
        "signatures.Signature",
        verbose_name=_("pharmacist's signature"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescription_version_reviewed",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=30, choices=RejectReason.choices, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True, max_length=1000)

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["prescription", "number"]
        verbose_name = _("prescription version")
        verbose_name_plural = _("prescription versions")
        constraints = [
            models.UniqueConstraint(fields=["prescription", "number"], name="prescription_version_unique_number"),
            models.UniqueConstraint(
                fields=["prescription"],
                condition=Q(status__in=["draft", "signing", "submitted"]),
                name="prescription_one_open_version",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "signing", "void"])
                | Q(doctor_signature__isnull=False, submitted_at__isnull=False),
                name="prescription_version_submitted_signed",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(pharmacist_signature__isnull=False, reviewed_at__isnull=False),
                name="prescription_version_approved_signed",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="prescription_version_rejected_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="prescription_version_queue_idx")]

    def __str__(self) -> str:
        return f"{self.prescription_id} v{self.number} [{self.status}]"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class PrescriptionItem(models.Model):
    """One drug of a version, as the HIS catalogue described it when prescribed (编码/名称/规格)."""

    version = models.ForeignKey(
        PrescriptionVersion, verbose_name=_("prescription version"), on_delete=models.PROTECT, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    drug_code = models.CharField(_("drug code"), max_length=32)
    drug_name = models.CharField(_("generic name"), max_length=100)
    trade_name = models.CharField(_("trade name"), max_length=100, blank=True)
    form = models.CharField(_("dosage form"), max_length=30, blank=True)
    strength = models.CharField(_("strength"), max_length=60)
    package = models.CharField(_("package"), max_length=60)
    package_unit = models.CharField(_("package unit"), max_length=10)
    dose = models.DecimalField(_("dose"), max_digits=10, decimal_places=3)
    dose_unit = models.CharField(_("dose unit"), max_length=10)
    frequency = models.CharField(_("frequency"), max_length=10)
    route = models.CharField(_("route"), max_length=10)
    days = models.PositiveSmallIntegerField(_("days"))
    quantity = models.PositiveSmallIntegerField(_("quantity (packages)"))
    unit_price_fen = models.PositiveIntegerField(_("unit price (fen)"))

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("prescription item")
        verbose_name_plural = _("prescription items")
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="prescription_item_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="prescription_item_quantity_positive"),
            models.CheckConstraint(condition=Q(days__gte=1), name="prescription_item_days_positive"),
            models.CheckConstraint(condition=Q(dose__gt=0), name="prescription_item_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.drug_name} {self.strength} ×{self.quantity}"

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


def refuse_deletion(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_delete receiver for every clinical model here: a prescription is kept, never deleted (SPEC §6)."""
    raise DomainError(PrescriptionError.NOT_DELETABLE)
