from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel


class Department(PublicIdModel):
    """科室: a node of the hospital's department tree. Only departments flagged online take bookings."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_online = models.BooleanField(_("offers online clinics"), default=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    # The ages (in whole years, on the visit's date) the department sees; empty: no limit. An adult-only
    # department sets min_age_years, a children's department max_age_years.
    min_age_years = models.PositiveSmallIntegerField(_("minimum age (years)"), null=True, blank=True)
    max_age_years = models.PositiveSmallIntegerField(_("maximum age (years)"), null=True, blank=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age_years__isnull=True)
                | Q(max_age_years__isnull=True)
                | Q(min_age_years__lte=F("max_age_years")),
                name="department_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class DoctorProfile(PublicIdModel):
    """What patients see of a doctor: departments, specialties, introduction."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="doctor_profile"
    )
    departments = models.ManyToManyField(Department, verbose_name=_("departments"), related_name="doctors")
    specialties = models.CharField(_("specialties"), max_length=200, blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="doctors/", blank=True)

    class Meta:
        verbose_name = _("doctor profile")
        verbose_name_plural = _("doctor profiles")

    def __str__(self) -> str:
        return str(self.user)


class SlotCategory(models.TextChoices):
    """号源类别: only the online categories are ever offered in the patient app."""

    VIDEO = "video", _("Online video")
    TEXT = "text", _("Online text and images")
    ONSITE = "onsite", _("On-site")


ONLINE_CATEGORIES = (SlotCategory.VIDEO, SlotCategory.TEXT)


class Period(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class DoctorFee(models.Model):
    """The registration fee a doctor charges per slot category, in fen."""

    doctor = models.ForeignKey(DoctorProfile, verbose_name=_("doctor"), on_delete=models.CASCADE, related_name="fees")
    category = models.CharField(_("slot category"), max_length=10, choices=SlotCategory.choices)
    fee_fen = models.PositiveIntegerField(_("fee (fen)"))

    class Meta:
        verbose_name = _("doctor's fee")
        verbose_name_plural = _("doctors' fees")
        constraints = [models.UniqueConstraint(fields=["doctor", "category"], name="doctor_fee_unique_category")]

    def __str__(self) -> str:
        return f"{self.doctor} {self.category} {self.fee_fen}"


class Schedule(PublicIdModel):
    """排班: one clinic session of a doctor (date + period + category), split into numbered slots."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        STOPPED = "stopped", _("Stopped (停诊)")

    doctor = models.ForeignKey(
        DoctorProfile, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="schedules"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="schedules"
    )
    date = models.DateField(_("date"))
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    category = models.CharField(_("slot category"), max_length=10, choices=SlotCategory.choices)
    starts_at = models.DateTimeField(_("starts at"))
    slot_minutes = models.PositiveSmallIntegerField(_("minutes per slot"), default=10)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    fee_fen = models.PositiveIntegerField(_("fee (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    stopped_reason = models.CharField(_("reason for stopping"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("clinic session")
        verbose_name_plural = _("clinic sessions")
        constraints = [
            models.UniqueConstraint(fields=["doctor", "date", "period", "category"], name="schedule_unique_session"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1, capacity__lte=200), name="schedule_capacity"),
        ]
        indexes = [models.Index(fields=["department", "date"], name="schedule_dept_date_idx")]

    def __str__(self) -> str:
        return f"{self.doctor} {self.date} {self.get_period_display()} {self.get_category_display()}"


class Slot(PublicIdModel):
    """One numbered place in a session. ``status`` moves free → held → booked (and back to free when a
    hold expires or a booking is cancelled), always by compare-and-set."""

    class Status(models.TextChoices):
        FREE = "free", _("Free")
        HELD = "held", _("Held for payment")
        BOOKED = "booked", _("Booked")

    schedule = models.ForeignKey(
        Schedule, verbose_name=_("clinic session"), on_delete=models.PROTECT, related_name="slots"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.FREE)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["schedule", "number"]
        constraints = [models.UniqueConstraint(fields=["schedule", "number"], name="slot_unique_number")]
        indexes = [models.Index(fields=["schedule", "status", "number"], name="slot_free_idx")]

    def __str__(self) -> str:
        return f"{self.schedule} #{self.number}"
