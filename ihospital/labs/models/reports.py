"""报告: lab results (LIS) and exam reports (PACS) of a visit person, from the internet hospital's own
orders and from their in-person visits.

A report is the HIS's, applied here once: ``his_report_no`` (报告单号) is unique, so a report pushed and
fetched, pushed twice, or fetched after it was pushed, is one row (the first delivery wins; later ones
change nothing). Nothing here is deleted (``KeptModel``) or overwritten.

A critical value (危急值) raises a ``CriticalAlert`` for the ordering doctor, which he acknowledges
(open → acknowledged, by compare-and-set, audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.records.models import KeptModel

FLAGS_ABNORMAL = ("H", "L", "HH", "LL")
FLAGS_CRITICAL = ("HH", "LL")


class Report(KeptModel):
    class Source(models.TextChoices):
        ONLINE = "online", _("Online order")
        IN_PERSON = "in_person", _("In-person visit")

    class Kind(models.TextChoices):
        LAB = "lab", _("Lab test")
        EXAM = "exam", _("Exam")

    class Via(models.TextChoices):
        PUSH = "push", _("Pushed by the HIS")
        FETCH = "fetch", _("Fetched from the HIS")

    visit_person = models.ForeignKey(
        "accounts.VisitPerson", verbose_name=_("visit person"), on_delete=models.PROTECT, related_name="reports"
    )
    order = models.OneToOneField(
        "labs.LabOrder",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    his_report_no = models.CharField(_("HIS report number"), max_length=40, unique=True)
    his_request_no = models.CharField(_("HIS request number"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    specimen = models.CharField(_("specimen"), max_length=40, blank=True)  # lab
    modality = models.CharField(_("modality"), max_length=10, blank=True)  # exam
    findings = models.TextField(_("findings"), blank=True)  # exam: 检查所见
    impression = models.TextField(_("impression"), blank=True)  # exam: 诊断意见
    reporting_physician = models.CharField(_("reported by"), max_length=60, blank=True)
    reviewing_physician = models.CharField(_("reviewed by"), max_length=60, blank=True)
    abnormal = models.BooleanField(_("abnormal"), default=False)
    critical = models.BooleanField(_("critical value"), default=False)
    reported_at = models.DateTimeField(_("reported at"))
    received_at = models.DateTimeField(_("received at"))
    received_via = models.CharField(_("received via"), max_length=5, choices=Via.choices)

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["-reported_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(source="in_person") | Q(order__isnull=False), name="report_online_has_order"
            ),
        ]
        indexes = [models.Index(fields=["visit_person", "-reported_at"], name="report_person_recent_idx")]

    def __str__(self) -> str:
        return f"{self.his_report_no} {self.title}"


class ResultValue(models.Model):
    """One value of a lab report, as the LIS gave it. A number always has its unit (refused otherwise);
    a qualitative result (阴性/阳性) has none. ``numeric`` and the reference bounds are parsed from the
    printed text, for the trend chart's line and band."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="values")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("item code"), max_length=20)
    name = models.CharField(_("item"), max_length=60)
    value = models.CharField(_("value"), max_length=40)
    numeric = models.DecimalField(_("numeric value"), max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    reference_text = models.CharField(_("reference range"), max_length=40, blank=True)
    reference_low = models.DecimalField(_("reference low"), max_digits=14, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(_("reference high"), max_digits=14, decimal_places=4, null=True, blank=True)
    flag = models.CharField(_("flag"), max_length=2, default="N")  # N, H, L, HH, LL

    class Meta:
        ordering = ["report", "position"]
        verbose_name = _("result value")
        verbose_name_plural = _("result values")
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="result_value_position"),
            models.CheckConstraint(
                condition=Q(numeric__isnull=True) | ~Q(unit=""), name="result_value_number_has_unit"
            ),
            models.CheckConstraint(condition=Q(flag__in=["N", "H", "L", "HH", "LL"]), name="result_value_flag"),
        ]
        indexes = [models.Index(fields=["code", "report"], name="result_value_code_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.value} {self.unit}"

    @property
    def abnormal(self) -> bool:
        return self.flag in FLAGS_ABNORMAL

    @property
    def critical(self) -> bool:
        return self.flag in FLAGS_CRITICAL


def key_image_path(image: KeyImage, filename: str) -> str:
    return f"reports/{image.report.public_id}/{filename}"


class KeyImage(models.Model):
    """A key image of an exam report: the DICOM file as the PACS sent it, and its rendering for a phone.
    Fetched after the report is applied (``pending`` until then; ``failed`` with the refusal's code)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being fetched")
        STORED = "stored", _("Stored")
        FAILED = "failed", _("Could not be shown")

    TRANSITIONS = {Status.STORED: {Status.PENDING}, Status.FAILED: {Status.PENDING}}

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="images")
    position = models.PositiveSmallIntegerField(_("position"))
    image_uid = models.CharField(_("SOP instance UID"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    dicom = models.FileField(_("DICOM file"), upload_to=key_image_path, blank=True)
    rendered = models.FileField(_("image"), upload_to=key_image_path, blank=True)
    error_code = models.CharField(_("error"), max_length=40, blank=True)
    stored_at = models.DateTimeField(_("stored at"), null=True, blank=True)

    class Meta:
        ordering = ["report", "position"]
        verbose_name = _("key image")
        verbose_name_plural = _("key images")
        constraints = [models.UniqueConstraint(fields=["report", "position"], name="key_image_position")]

    def __str__(self) -> str:
        return self.image_uid


class CriticalAlert(KeptModel):
    """危急值: a report with a critical value, for the ordering doctor to acknowledge at once."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    TRANSITIONS = {Status.ACKNOWLEDGED: {Status.OPEN}}

    report = models.OneToOneField(
        Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="critical_alert"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="critical_alerts"
    )
    summary = models.CharField(_("summary"), max_length=300)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    note = models.CharField(_("action taken"), max_length=300, blank=True)

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["-created_at", "-id"]
        verbose_name = _("critical value alert")
        verbose_name_plural = _("critical value alerts")
        indexes = [models.Index(fields=["doctor", "status"], name="critical_alert_doctor_idx")]

    def __str__(self) -> str:
        return f"{self.summary} [{self.status}]"
