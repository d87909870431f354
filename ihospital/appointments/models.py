from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel

# States that occupy a slot; the partial unique constraints hold only for these.
ACTIVE_STATES = ["pending_payment", "requested", "accepted", "waiting", "in_consultation"]


class Appointment(PublicIdModel):
    """预约挂号: a visit person's booking of one slot, from payment to the doctor's decision and after."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        REQUESTED = "requested", _("Paid, awaiting the doctor's review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Declined by the doctor")
        EXPIRED = "expired", _("Payment time ran out")
        CANCELLED = "cancelled", _("Cancelled")
        WAITING = "waiting", _("In the waiting room")
        IN_CONSULTATION = "in_consultation", _("In consultation")
        COMPLETED = "completed", _("Completed")
        AUTO_COMPLETED = "auto_completed", _("Completed automatically")
        NO_SHOW = "no_show", _("Did not attend")

    # target → allowed sources (SPEC §5)
    TRANSITIONS = {
        Status.REQUESTED: {Status.PENDING_PAYMENT},
        Status.EXPIRED: {Status.PENDING_PAYMENT},
        Status.ACCEPTED: {Status.REQUESTED},
        Status.REJECTED: {Status.REQUESTED},
        # The patient cancels before check-in; the hospital's 停诊 also cancels those already waiting.
        Status.CANCELLED: {Status.PENDING_PAYMENT, Status.REQUESTED, Status.ACCEPTED, Status.WAITING},
        Status.WAITING: {Status.ACCEPTED},
        Status.IN_CONSULTATION: {Status.WAITING},
        Status.COMPLETED: {Status.IN_CONSULTATION},
        Status.AUTO_COMPLETED: {Status.IN_CONSULTATION},
        Status.NO_SHOW: {Status.ACCEPTED, Status.WAITING},
    }
    PATIENT_CANCEL_TRANSITIONS = {Status.CANCELLED: {Status.PENDING_PAYMENT, Status.REQUESTED, Status.ACCEPTED}}
    ACTIVE = ACTIVE_STATES

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="appointments"
    )
    visit_person = models.ForeignKey(
        "accounts.VisitPerson", verbose_name=_("visit person"), on_delete=models.PROTECT, related_name="appointments"
    )
    schedule = models.ForeignKey(
        "scheduling.Schedule", verbose_name=_("clinic session"), on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(
        "scheduling.Slot", verbose_name=_("slot"), on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    complaint = models.TextField(_("chief complaint"), max_length=500)
    prior_visit_date = models.DateField(_("date of the in-person diagnosis"))
    prior_hospital = models.CharField(_("hospital of the in-person diagnosis"), max_length=100)
    prior_diagnosis = models.CharField(_("diagnosis"), max_length=200)
    fee_fen = models.PositiveIntegerField(_("fee (fen)"))
    hold_expires_at = models.DateTimeField(_("pay before"))
    # The payment order's public id, not a foreign key: payments knows nothing of what it is paid for.
    payment_order_public_id = models.UUIDField(_("payment order id"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    prior_diagnosis_confirmed = models.BooleanField(_("prior diagnosis confirmed"), default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_appointments",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    refund_requested = models.BooleanField(_("refund requested"), default=False)
    refunded = models.BooleanField(_("refunded"), default=False)
    # Written back to the HIS (挂号登记 and 收费) once paid: its registration serial and charge receipt.
    his_registration_no = models.CharField(_("HIS registration number"), max_length=32, blank=True)
    his_receipt_no = models.CharField(_("HIS receipt number"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status__in=ACTIVE_STATES), name="appointment_one_per_slot"
            ),
            models.UniqueConstraint(
                fields=["visit_person", "schedule"],
                condition=Q(status__in=ACTIVE_STATES),
                name="appointment_one_per_person_session",
            ),
        ]
        indexes = [models.Index(fields=["status", "hold_expires_at"], name="appointment_hold_idx")]

    def __str__(self) -> str:
        return f"{self.visit_person} → {self.schedule} [{self.get_status_display()}]"


class Attachment(PublicIdModel):
    """Evidence of the prior in-person diagnosis (report photos, PDFs). Stored privately; served only
    to the patient and the reviewing doctor through an authorised view. Never deleted (clinical data)."""

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("appointment"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("original name"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
