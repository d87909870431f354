"""Back office of the hospital administrator: exam rooms and their bookable sessions (检查排班). Every save
goes through ``labs.services``, which audits it; nothing is deleted (a room is deactivated, a session closed).
Orders are looked at here, never edited."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ihospital.audit.services import Actor
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.errors import DomainError
from ihospital.labs.models import ExamRoom, ExamSession, LabOrder
from ihospital.labs.services import (
    RoomInput,
    check_session,
    exam_room_create,
    exam_session_create,
    exam_session_set_capacity,
    exam_session_set_open,
)


@admin.register(ExamRoom)
class ExamRoomAdmin(RoleAdmin):
    list_display = ("name", "modality", "department", "place", "active")
    list_filter = ("modality", "active")
    fields = ("name", "modality", "department", "place")

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = RoomInput(**{name: form.cleaned_data[name] for name in self.fields})
        vars(obj).update(vars(exam_room_create(data=data, actor=Actor.of(request.user, request))))


class ExamSessionForm(forms.ModelForm):
    """New: room, times and capacity. Existing: capacity and open/closed only (the service checks both)."""

    class Meta:
        model = ExamSession
        fields = ("room", "starts_at", "ends_at", "capacity", "status")

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            self._check(data)
        elif "capacity" in self.changed_data and data.get("capacity") is not None:
            if data["capacity"] < self.instance.booked:
                self.add_error("capacity", _("Places already booked: %(booked)s.") % {"booked": self.instance.booked})
        return data

    def _check(self, data):
        if not all(data.get(name) for name in ("room", "starts_at", "ends_at", "capacity")):
            return
        try:
            check_session(starts_at=data["starts_at"], ends_at=data["ends_at"], capacity=data["capacity"])
        except DomainError as error:
            self.add_error(None, error.message)


@admin.register(ExamSession)
class ExamSessionAdmin(RoleAdmin):
    form = ExamSessionForm
    list_display = ("starts_at", "ends_at", "room", "capacity", "booked", "status")
    list_filter = ("status", "room__modality", "room")
    date_hierarchy = "starts_at"
    list_select_related = ("room",)

    def get_readonly_fields(self, request, obj=None):
        return ("room", "starts_at", "ends_at", "booked") if obj is not None else ("booked",)

    def save_model(self, request, obj, form, change):
        actor = Actor.of(request.user, request)
        if not change:
            data = form.cleaned_data
            session = exam_session_create(
                room=data["room"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                actor=actor,
            )
            vars(obj).update(vars(session))
            return
        if "capacity" in form.changed_data:
            exam_session_set_capacity(session=obj, capacity=form.cleaned_data["capacity"], actor=actor)
        if "status" in form.changed_data:
            exam_session_set_open(
                session=obj, is_open=form.cleaned_data["status"] == ExamSession.Status.OPEN, actor=actor
            )


@admin.register(LabOrder)
class LabOrderAdmin(RoleAdmin):
    view_roles = frozenset({"hospital_admin"})
    change_roles = frozenset()
    can_add = False
    list_display = ("created_at", "public_id", "kind", "modality", "status", "amount_fen", "his_request_no")
    list_filter = ("status", "kind", "modality")
    search_fields = ("public_id", "his_request_no", "checkin_code")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
