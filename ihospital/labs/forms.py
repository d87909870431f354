from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ihospital.integrations.his.base import ExamItem


class OrderForm(forms.Form):
    """The doctor's order: items from the HIS catalogue, a diagnosis of the signed record, the clinical
    question, and the signing PIN. ``request_id`` makes a resubmitted form order nothing twice."""

    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    items = forms.MultipleChoiceField(label=_("Tests and exams"), widget=forms.CheckboxSelectMultiple)
    diagnosis = forms.ChoiceField(label=_("Diagnosis"), widget=forms.RadioSelect)
    clinical_question = forms.CharField(
        label=_("Clinical question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    pin = forms.CharField(
        label=_("Signing PIN"),
        max_length=12,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, catalogue: dict[str, ExamItem], diagnoses: list[dict[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Any code is accepted here: the service checks it against the HIS catalogue (and audits a refusal).
        self.fields["items"].choices = [(code, item.name) for code, item in catalogue.items()]
        self.fields["items"].valid_value = lambda value: True  # type: ignore[attr-defined]
        self.fields["diagnosis"].choices = [(d["code"], f"{d['code']} {d['name']}") for d in diagnoses]
        if diagnoses:
            self.fields["diagnosis"].initial = diagnoses[0]["code"]


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Check-in code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "autocapitalize": "characters"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)
