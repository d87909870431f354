from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel


class Department(PublicIdModel):
    """科室: a node of the hospital's department tree. Only departments flagged online take bookings."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_online = models.BooleanField(_("offers online clinics"), default=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class DoctorProfile(PublicIdModel):
    """What patients see of a doctor: departments, specialties, introduction."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_profile")
    departments = models.ManyToManyField(Department, related_name="doctors")
    specialties = models.CharField(_("specialties"), max_length=200, blank=True)
    introduction = models.TextField(_("introduction"), blank=True)

    class Meta:
        verbose_name = _("doctor profile")
        verbose_name_plural = _("doctor profiles")

    def __str__(self) -> str:
        return str(self.user)
