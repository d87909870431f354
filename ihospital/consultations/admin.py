"""Back office of the roster: copy a week of schedules forward, and stop a schedule (停诊). It lives here,
in the app above every state a booking can be in, because stopping ends waiting rooms as well as
refunding bookings."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ihospital.audit.services import Actor
from ihospital.consultations.selectors import schedule_stop_preview
from ihospital.consultations.services import schedule_stop
from ihospital.core.admin_display import in_yuan, yuan
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.errors import DomainError
from ihospital.scheduling.models import Schedule
from ihospital.scheduling.services import schedule_copy_week

YUAN = {"fee_fen": yuan("fee_fen", _("fee (yuan)"))}


class ScheduleActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason (for stopping)"), required=False, max_length=200)


@admin.register(Schedule)
class ScheduleAdmin(RoleAdmin):
    """The roster. Sessions are created with their slots by the service; here they are copied and stopped."""

    list_display = in_yuan(
        ("date", "period", "doctor", "department", "category", "capacity", "fee_fen", "status"), YUAN
    )
    list_filter = ("status", "category", "period", "department", "date")
    date_hierarchy = "date"
    search_fields = ("doctor__user__full_name",)
    readonly_fields = in_yuan([f.name for f in Schedule._meta.fields if f.name != "id"], YUAN)
    fields = readonly_fields
    can_add = False
    action_form = ScheduleActionForm
    actions = ["copy_week_forward", "stop_schedules"]

    @admin.action(description=_("Copy the week of the selected sessions to the next week"))
    def copy_week_forward(self, request, queryset):
        actor = Actor.of(request.user, request)
        weeks = {s.date - timedelta(days=s.date.weekday()) for s in queryset}
        created = sum(schedule_copy_week(week_start=week, actor=actor) for week in sorted(weeks))
        self.message_user(request, ngettext("%d session created.", "%d sessions created.", created) % created)

    @admin.action(description=_("Stop the selected sessions: refund and notify their patients"))
    def stop_schedules(self, request, queryset):
        """First a page saying what stopping will do (how many bookings cancelled and refunded, how many
        patients waiting or in the room) and asking to confirm; the confirmed form stops them."""
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give a reason for stopping."), messages.ERROR)
            return None
        if request.POST.get("confirm") != "yes":
            return self._stop_confirmation(request, queryset, reason)
        actor = Actor.of(request.user, request)
        for schedule in queryset:
            try:
                stopped = schedule_stop(schedule=schedule, reason=reason, actor=actor)
            except DomainError as error:
                self.message_user(request, f"{schedule}: {error.message}", messages.WARNING)
                continue
            self._report_stopped(request, schedule, stopped)
        return None

    def _stop_confirmation(self, request, queryset, reason: str) -> TemplateResponse:
        schedules = list(queryset.select_related("doctor__user", "department").order_by("starts_at"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Stop these sessions?"),
            "opts": self.opts,
            "schedules": schedules,
            "already_stopped": [s for s in schedules if s.status == Schedule.Status.STOPPED],
            "preview": schedule_stop_preview([s.pk for s in schedules]),
            "reason": reason,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/scheduling/schedule/stop_confirmation.html", context)

    def _report_stopped(self, request, schedule: Schedule, stopped) -> None:
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
