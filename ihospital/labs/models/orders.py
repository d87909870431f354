"""电子检验检查单: a doctor's signed lab/exam order, its items from the HIS catalogue, and the exam rooms'
sessions a patient books a time in.

An order is clinical: it is never deleted (``KeptModel``), only cancelled. Its status moves by
compare-and-set (``ihospital.core.state.transition``) along ``LabOrder.TRANSITIONS`` (SPEC §5).
A session's ``booked`` counter moves by one conditional UPDATE (``booked < capacity``), never by a
read-modify-write.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel
from ihospital.records.models import KeptModel

# No 0/O/1/I: a nurse may type the check-in code from the patient's screen.
CHECKIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACTIVE_BOOKING = "booked"


def new_checkin_code() -> str:
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(10))


class LabOrder(KeptModel):
    """One signed order: lab tests (检验, one sample) or exams of one modality (检查, one booked time)."""

    class Kind(models.TextChoices):
        LAB = "lab", _("Lab test")
        EXAM = "exam", _("Exam")

    class Status(models.TextChoices):
        ORDERED = "ordered", _("Ordered, awaiting payment")
        PAID = "paid", _("Paid")
        SCHEDULED = "scheduled", _("Time booked")
        PERFORMED = "performed", _("Performed, awaiting the report")
        REPORTED = "reported", _("Reported")
        CANCELLED = "cancelled", _("Cancelled")

    # target → allowed sources (SPEC §5). A lab test needs no booked time: paid → performed.
    TRANSITIONS = {
        Status.PAID: {Status.ORDERED},
        Status.SCHEDULED: {Status.PAID},
        Status.PERFORMED: {Status.PAID, Status.SCHEDULED},
        Status.REPORTED: {Status.PERFORMED},
        Status.CANCELLED: {Status.ORDERED, Status.PAID, Status.SCHEDULED},
    }
    # Cancelling from these returns the money (decided from the state the cancel really moved from).
    REFUNDABLE = (Status.PAID, Status.SCHEDULED)
    OPEN = (Status.ORDERED, Status.PAID, Status.SCHEDULED)

    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="lab_orders",
    )
    visit_person = models.ForeignKey(
        "accounts.VisitPerson", verbose_name=_("visit person"), on_delete=models.PROTECT, related_name="lab_orders"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ordering doctor"), on_delete=models.PROTECT, related_name="lab_orders"
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    # An exam order's modality (the catalogue's specimen field: US, CT, DR, MR, ECG …); "" for lab tests.
    modality = models.CharField(_("modality"), max_length=10, blank=True)
    needs_booking = models.BooleanField(_("needs a booked time"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ORDERED)
    clinical_question = models.TextField(_("clinical question"), max_length=500)
    # The diagnosis as written in the signed record version it came from.
    record_version = models.ForeignKey(
        "records.RecordVersion", verbose_name=_("record version"), on_delete=models.PROTECT, related_name="lab_orders"
    )
    diagnosis_code = models.CharField(_("diagnosis code"), max_length=20)
    diagnosis_name = models.CharField(_("diagnosis"), max_length=200)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    signature = models.OneToOneField(
        "signatures.Signature",
        verbose_name=_("signature"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_order",
    )
    checkin_code = models.CharField(_("check-in code"), max_length=12, unique=True, default=new_checkin_code)
    his_request_no = models.CharField(_("HIS request number"), max_length=32, blank=True)
    his_placed_at = models.DateTimeField(_("placed in the HIS at"), null=True, blank=True)
    his_receipt_no = models.CharField(_("HIS receipt number"), max_length=32, blank=True)  # its charge (收费)
    # The payment order's public id, not a foreign key: payments knows nothing of what it is paid for.
    payment_order_public_id = models.UUIDField(_("payment order id"), null=True, blank=True)
    created_at = models.DateTimeField(_("ordered at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    refund_requested = models.BooleanField(_("refund requested"), default=False)
    refunded = models.BooleanField(_("refunded"), default=False)

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["-created_at", "-id"]
        verbose_name = _("lab/exam order")
        verbose_name_plural = _("lab/exam orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="exam") | (Q(modality="") & Q(needs_booking=False)), name="lab_order_lab_not_booked"
            ),
            models.CheckConstraint(
                condition=Q(status="ordered") | Q(status="cancelled") | Q(paid_at__isnull=False),
                name="lab_order_paid_has_paid_at",
            ),
        ]
        indexes = [models.Index(fields=["visit_person", "status"], name="lab_order_person_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} [{self.status}]"


class LabOrderItem(models.Model):
    """One catalogue item of an order, as the HIS catalogue described it when ordered."""

    order = models.ForeignKey(LabOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("catalogue code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    specimen = models.CharField(_("specimen or modality"), max_length=20)  # 静脉血, 尿液 … / US, CT …
    department = models.CharField(_("performing department"), max_length=40)
    preparation = models.CharField(_("preparation"), max_length=300, blank=True)  # 空腹, 憋尿 …
    place = models.CharField(_("place"), max_length=100, blank=True)
    hours = models.CharField(_("hours"), max_length=100, blank=True)

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("ordered item")
        verbose_name_plural = _("ordered items")
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="lab_order_item_position")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ExamRoom(PublicIdModel):
    """An exam room or device (检查室/设备) of one modality, managed by the hospital administrator."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    modality = models.CharField(_("modality"), max_length=10)
    department = models.CharField(_("department"), max_length=40)
    place = models.CharField(_("place"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["modality", "name"]
        verbose_name = _("exam room")
        verbose_name_plural = _("exam rooms")

    def __str__(self) -> str:
        return self.name


class ExamSession(PublicIdModel):
    """A bookable period of one room (检查时段) with a capacity; ``booked`` moves by compare-and-set."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")  # no new bookings; those made stay

    room = models.ForeignKey(ExamRoom, verbose_name=_("room"), on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("date"))  # hospital-local date of starts_at
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    booked = models.PositiveIntegerField(_("booked"), default=0)
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["starts_at", "room"]
        verbose_name = _("exam session")
        verbose_name_plural = _("exam sessions")
        constraints = [
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="exam_session_not_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="exam_session_ends_after_start"),
            models.UniqueConstraint(fields=["room", "starts_at"], name="exam_session_unique_start"),
        ]
        indexes = [models.Index(fields=["room", "date"], name="exam_session_room_day_idx")]

    def __str__(self) -> str:
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)


class ExamBooking(PublicIdModel):
    """An order's place in a session. Changing the time ends this booking (``changed``) and makes a new one."""

    class Status(models.TextChoices):
        BOOKED = ACTIVE_BOOKING, _("Booked")
        CHANGED = "changed", _("Changed to another time")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.CHANGED: {Status.BOOKED},
        Status.CANCELLED: {Status.BOOKED},
    }

    order = models.ForeignKey(LabOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="bookings")
    session = models.ForeignKey(
        ExamSession, verbose_name=_("session"), on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(_("booked at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exam booking")
        verbose_name_plural = _("exam bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status=ACTIVE_BOOKING), name="exam_booking_one_active_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} @ {self.session_id} [{self.status}]"
