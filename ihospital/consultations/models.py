from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel

# The queue a doctor sees: checked in and not yet in the room.
QUEUED_STATES = ["waiting", "calling", "missed"]

# The order patients are called in, written once: the booked slot's time first, then arrival; the
# primary key breaks exact ties so that every reader agrees on one order.
QUEUE_ORDER = ("appointment__slot__starts_at", "checked_in_at", "pk")


class ConsultationQuerySet(models.QuerySet):
    def queue_of(self, doctor_id: int, *, states=QUEUED_STATES) -> ConsultationQuerySet:
        """The doctor's checked-in patients in call order (``states``: those still queued by default)."""
        return self.filter(doctor_id=doctor_id, status__in=states).order_by(*QUEUE_ORDER)

    def ahead_of(self, consultation: Consultation) -> ConsultationQuerySet:
        """Those queued before ``consultation``: QUEUE_ORDER as a filter (lexicographically smaller keys),
        so that a position is one COUNT instead of reading the whole queue."""
        keys = (consultation.appointment.slot.starts_at, consultation.checked_in_at, consultation.pk)
        before = Q(pk__in=[])
        for i, field in enumerate(QUEUE_ORDER):
            equal = dict(zip(QUEUE_ORDER[:i], keys[:i], strict=True))
            before |= Q(**equal, **{f"{field}__lt": keys[i]})
        return self.queue_of(consultation.doctor_id).filter(before)


class Consultation(PublicIdModel):
    """问诊: the online visit of an accepted appointment, from check-in to its end. The appointment keeps
    the states of SPEC §5 (waiting → in_consultation → completed); this row keeps the room: the call,
    the queue, the video meeting and how the visit ended."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLING = "calling", _("Being called")
        MISSED = "missed", _("Missed the call")
        IN_PROGRESS = "in_progress", _("In consultation")
        COMPLETED = "completed", _("Completed")
        REFERRED = "referred", _("Referred to an in-person clinic")
        AUTO_COMPLETED = "auto_completed", _("Completed automatically")
        NO_SHOW = "no_show", _("Did not attend")
        CANCELLED = "cancelled", _("Cancelled: the hospital stopped the clinic")

    TRANSITIONS = {
        Status.CALLING: {Status.WAITING, Status.MISSED, Status.CALLING},
        Status.MISSED: {Status.CALLING},
        Status.IN_PROGRESS: {Status.CALLING},
        Status.COMPLETED: {Status.IN_PROGRESS},
        Status.REFERRED: {Status.IN_PROGRESS},
        Status.AUTO_COMPLETED: {Status.IN_PROGRESS},
        Status.NO_SHOW: {Status.WAITING, Status.MISSED, Status.CALLING},
        Status.CANCELLED: {Status.WAITING, Status.MISSED, Status.CALLING},
    }
    ENDED = [Status.COMPLETED, Status.REFERRED, Status.AUTO_COMPLETED, Status.NO_SHOW, Status.CANCELLED]

    objects = ConsultationQuerySet.as_manager()

    appointment = models.OneToOneField(
        "appointments.Appointment", verbose_name=_("appointment"), on_delete=models.PROTECT, related_name="consultation"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="consultations_led"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="consultations"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.WAITING)
    # An opaque token: patients learn their queue position from the order of tokens, nobody's identity.
    queue_token = models.CharField(_("queue token"), max_length=16, unique=True)
    checked_in_at = models.DateTimeField(_("checked in at"))
    call_attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    identity_confirmed_at = models.DateTimeField(
        _("doctor's identity confirmed at"), null=True, blank=True
    )  # the doctor's re-check before calling
    video_provider = models.CharField(_("video provider"), max_length=40, blank=True)
    meeting_id = models.CharField(_("meeting id"), max_length=100, blank=True)
    meeting_join_url = models.URLField(_("meeting link"), blank=True)
    referral_reason = models.CharField(_("reason for the in-person referral"), max_length=300, blank=True)
    # Not a column: set on the rows of a whole queue read at once (selectors.doctor_queue_positioned).
    known_queue_position: int | None = None

    class Meta:
        ordering = ["checked_in_at"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            # A doctor is in one room at a time.
            models.UniqueConstraint(
                fields=["doctor"], condition=Q(status="in_progress"), name="consultation_one_in_progress_per_doctor"
            ),
        ]
        indexes = [
            models.Index(fields=["doctor", "status"], name="consultation_queue_idx"),
            models.Index(fields=["status", "started_at"], name="consultation_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment} [{self.get_status_display()}]"

    @property
    def is_open(self) -> bool:
        return self.status not in self.ENDED


class Message(PublicIdModel):
    """One chat message in the room: text or an image. Kept (clinical record, 15 years); never edited."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    image = models.FileField(_("image"), upload_to="chat/%Y/%m/", blank=True)
    content_type = models.CharField(_("content type"), max_length=40, blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.sender} {self.kind} {self.sent_at:%H:%M}"


class Recording(PublicIdModel):
    """One take of the call as the doctor's browser recorded it (a reload starts a new take: a webm
    stream can't be resumed). Chunks arrive during the call and are assembled into one file. Kept
    for disputes; there is no deletion path."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.PROTECT, related_name="recordings"
    )
    mime_type = models.CharField(_("MIME type"), max_length=60, default="video/webm")
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    last_chunk_at = models.DateTimeField(_("last chunk at"), null=True, blank=True)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    file = models.FileField(_("file"), upload_to="recordings/%Y/%m/", blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    missing_chunks = models.CharField(
        _("missing chunks"), max_length=200, blank=True
    )  # gaps found at assembly, e.g. "4,7"
    # Set by compare-and-set when an assembler claims the take: from then on it accepts no chunk. A
    # claim older than the assembly lease (a worker that died) may be taken over.
    assembling_since = models.DateTimeField(_("assembling since"), null=True, blank=True)
    assembled_at = models.DateTimeField(_("assembled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.consultation} take {self.public_id}"


class RecordingChunk(models.Model):
    recording = models.ForeignKey(
        Recording, verbose_name=_("recording"), on_delete=models.PROTECT, related_name="chunks"
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    file = models.FileField(_("file"), upload_to="recordings/chunks/%Y/%m/")
    size = models.PositiveIntegerField(_("size (bytes)"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recording chunk")
        verbose_name_plural = _("recording chunks")
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["recording", "seq"], name="recording_chunk_unique_seq")]

    def __str__(self) -> str:
        return f"{self.recording_id}#{self.seq}"


class Reminder(models.Model):
    """A reminder sent for an appointment at one offset before its slot. The unique row makes it once,
    whichever worker (or restart) gets there first."""

    appointment = models.ForeignKey(
        "appointments.Appointment", verbose_name=_("appointment"), on_delete=models.PROTECT, related_name="reminders"
    )
    minutes_before = models.PositiveSmallIntegerField(_("minutes before"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "minutes_before"], name="reminder_once_per_offset")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} −{self.minutes_before} min"


class HisVisitHistoryCopy(models.Model):
    """The last in-person visit history read from the HIS for one visit person: shown, with the time it
    was read, while the HIS or its gateway cannot be reached. Replaced by every successful read."""

    visit_person = models.OneToOneField(
        "accounts.VisitPerson",
        verbose_name=_("visit person"),
        on_delete=models.PROTECT,
        related_name="his_history_copy",
    )
    visits = models.JSONField(_("visits"))
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("copy of the HIS visit history")
        verbose_name_plural = _("copies of the HIS visit history")

    def __str__(self) -> str:
        return f"{self.visit_person} @ {self.read_at:%Y-%m-%d %H:%M}"
