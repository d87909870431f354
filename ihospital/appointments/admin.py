"""Back office of bookings: read-only appointments. The roster's admin (copy a week forward, 停诊) lives in
consultations/admin.py, the app above every state a booking can be in when its schedule stops."""

from django.contrib import admin

from ihospital.appointments.models import Appointment
from ihospital.core.admin_roles import RoleAdmin


@admin.register(Appointment)
class AppointmentAdmin(RoleAdmin):
    list_display = ("created_at", "visit_person", "schedule", "status", "fee_fen", "refunded")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Appointment._meta.fields]
    change_roles = frozenset()
    view_roles = frozenset({"hospital_admin"})
    can_add = False
