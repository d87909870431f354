"""Back office of the roster: copy a week of schedules forward, and stop a schedule (停诊). It lives here,
in the app above every state a booking can be in, because stopping ends waiting rooms as well as
refunding bookings."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ihospital.audit.services import Actor
from ihospital.consultations.services import schedule_stop
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.errors import DomainError
from ihospital.scheduling.models import Schedule
from ihospital.scheduling.services import schedule_copy_week


class ScheduleActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason (for stopping)"), required=False, max_length=200)


@admin.register(Schedule)
class ScheduleAdmin(RoleAdmin):
    """The roster. Sessions are created with their slots by the service; here they are copied and stopped."""

    list_display = ("date", "period", "doctor", "department", "category", "capacity", "fee_fen", "status")
    list_filter = ("status", "category", "period", "department", "date")
    date_hierarchy = "date"
    search_fields = ("doctor__user__full_name",)
    readonly_fields = [f.name for f in Schedule._meta.fields if f.name != "id"]
    can_add = False
    action_form = ScheduleActionForm
    actions = ["copy_week_forward", "stop_schedules"]

    @admin.action(description=_("Copy the week of the selected sessions to the next week"))
    def copy_week_forward(self, request, queryset):
        actor = Actor.of(request.user, request)
        weeks = {s.date - timedelta(days=s.date.weekday()) for s in queryset}
        created = sum(schedule_copy_week(week_start=week, actor=actor) for week in sorted(weeks))
        self.message_user(request, ngettext("%d session created.", "%d sessions created.", created) % created)

    @admin.action(description=_("Stop the selected sessions (停诊): refund and notify their patients"))
    def stop_schedules(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give a reason for stopping."), messages.ERROR)
            return
        actor = Actor.of(request.user, request)
        for schedule in queryset:
            try:
                stopped = schedule_stop(schedule=schedule, reason=reason, actor=actor)
                self.message_user(
                    request,
                    ngettext(
                        "%(date)s %(period)s stopped; %(n)d booking cancelled, paid fees refunded in full.",
                        "%(date)s %(period)s stopped; %(n)d bookings cancelled, paid fees refunded in full.",
                        stopped.cancelled,
                    )
                    % {"date": schedule.date, "period": schedule.get_period_display(), "n": stopped.cancelled},
                )
                if stopped.in_consultation:
                    self.message_user(
                        request,
                        ngettext(
                            "%(n)d visit already in the room was left to finish; the doctor has been told.",
                            "%(n)d visits already in the room were left to finish; the doctor has been told.",
                            stopped.in_consultation,
                        )
                        % {"n": stopped.in_consultation},
                        messages.WARNING,
                    )
            except DomainError as error:
                self.message_user(request, f"{schedule}: {error.message}", messages.WARNING)
