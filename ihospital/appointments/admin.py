"""Back office of bookings: read-only appointments. The roster's admin (copy a week forward, 停诊) lives in
consultations/admin.py, the app above every state a booking can be in when its schedule stops."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ihospital.appointments.models import Appointment
from ihospital.core.admin_display import in_yuan, yuan
from ihospital.core.admin_roles import RoleAdmin

YUAN = {"fee_fen": yuan("fee_fen", _("fee (yuan)"))}


@admin.register(Appointment)
class AppointmentAdmin(RoleAdmin):
    list_display = in_yuan(("created_at", "visit_person", "schedule", "status", "fee_fen", "refunded"), YUAN)
    list_filter = ("status",)
    readonly_fields = in_yuan([f.name for f in Appointment._meta.fields], YUAN)
    change_roles = frozenset()
    view_roles = frozenset({"hospital_admin"})
    can_add = False
