"""The hospital administrator's week-of-sessions form: a doctor, a department, a week, and for each day
and period a slot category, a capacity and a fee (empty: the doctor's fee for the category)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from ihospital.core.money import MoneyFormatError, parse_yuan
from ihospital.core.time import local, now
from ihospital.scheduling.models import Department, DoctorProfile, Period, SlotCategory
from ihospital.scheduling.selectors import rostered_doctors
from ihospital.scheduling.services import WeekSession, week_session_key

WEEKS_AHEAD = 8
DEFAULT_CAPACITY = 10


def upcoming_weeks(today: date) -> list[tuple[str, str]]:
    """This week and the next WEEKS_AHEAD, each by its Monday."""
    monday = today - timedelta(days=today.weekday())
    weeks = [monday + timedelta(weeks=n) for n in range(WEEKS_AHEAD + 1)]
    return [(day.isoformat(), f"{day:%Y-%m-%d} – {day + timedelta(days=6):%m-%d}") for day in weeks]


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DoctorProfile) -> str:
        parts = [obj.user.display_name, obj.user.shown_title, " / ".join(d.name for d in obj.departments.all())]
        return " · ".join(part for part in parts if part)


class WeekForm(forms.Form):
    doctor = DoctorChoiceField(queryset=DoctorProfile.objects.none(), to_field_name="public_id", label=_("Doctor"))
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), to_field_name="public_id", label=_("Department")
    )
    week_start = forms.ChoiceField(label=_("Week"))
    slot_minutes = forms.IntegerField(label=_("Minutes per slot"), min_value=5, max_value=60, initial=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = rostered_doctors()
        self.fields["department"].queryset = Department.objects.select_related("parent")
        self.fields["week_start"].choices = upcoming_weeks(local(now()).date())
        self.fields["week_start"].initial = self.fields["week_start"].choices[1][0]  # next week
        categories = [("", _("No session")), *SlotCategory.choices]
        for day in range(7):
            for period in Period.values:
                key = week_session_key(day, period)
                self.fields[key] = forms.ChoiceField(choices=categories, required=False, label=_("Slot category"))
                self.fields[f"{key}-capacity"] = forms.IntegerField(
                    required=False, min_value=1, max_value=200, initial=DEFAULT_CAPACITY, label=_("Capacity")
                )
                self.fields[f"{key}-fee"] = forms.CharField(required=False, max_length=12, label=_("Fee (yuan)"))

    def rows(self) -> list[dict]:
        """The grid for the template: a row per day, a cell per period with its three fields."""
        return [
            {
                "day": WEEKDAYS[day],
                "cells": [
                    {
                        "key": week_session_key(day, period),
                        "category": self[week_session_key(day, period)],
                        "capacity": self[f"{week_session_key(day, period)}-capacity"],
                        "fee": self[f"{week_session_key(day, period)}-fee"],
                    }
                    for period in Period.values
                ],
            }
            for day in range(7)
        ]

    def clean(self):
        data = super().clean()
        self.sessions: list[WeekSession] = []
        for day in range(7):
            for period in Period.values:
                key = week_session_key(day, period)
                category = data.get(key)
                if not category:
                    continue
                capacity = data.get(f"{key}-capacity")
                if capacity is None:
                    if f"{key}-capacity" not in self.errors:
                        self.add_error(key, _("Enter how many patients this session takes."))
                    continue
                fee_text = (data.get(f"{key}-fee") or "").strip()
                try:
                    fee = parse_yuan(fee_text) if fee_text else None
                except MoneyFormatError:
                    self.add_error(key, _("An amount in yuan, such as 30 or 12.50."))
                    continue
                self.sessions.append(WeekSession(day, period, category, capacity, fee))
        if not self.sessions and not self.errors:
            self.add_error(None, _("Choose a slot category for at least one session."))
        return data

    def week(self) -> date:
        return date.fromisoformat(self.cleaned_data["week_start"])
