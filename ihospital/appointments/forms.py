from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ihospital.appointments.services import booking_field_problems
from ihospital.core.errors import DomainError
from ihospital.core.files.uploads import check_upload

# What a phone offers for "choose file": photos (iOS converts HEIC to JPEG for these types) and PDFs.
ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,application/pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input. Each is checked by its content before anything is booked, so a refused
    file never leaves a held slot behind; the service checks them again when it stores them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_TYPES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.ATTACHMENT_MAX_COUNT:
            raise forms.ValidationError(
                _("You chose %(count)s files; at most %(limit)s can be attached."),
                params={"count": len(files), "limit": settings.ATTACHMENT_MAX_COUNT},
            )
        problems = []
        for upload in files:
            try:
                check_upload(name=upload.name, data=upload, max_bytes=settings.ATTACHMENT_MAX_BYTES)
            except DomainError as error:
                problems.append(f"{upload.name}: {error.message}")
            finally:
                upload.seek(0)
        if problems:
            raise forms.ValidationError(problems)
        return files


class BookingForm(forms.Form):
    visit_person = forms.ChoiceField(label=_("Who is the visit for?"))
    complaint = forms.CharField(
        label=_("Describe your condition (chief complaint)"),
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": 500, "placeholder": _("e.g. blood pressure still high on my usual dose")}
        ),
    )
    prior_visit_date = forms.DateField(
        label=_("Date of the in-person diagnosis"), widget=forms.DateInput(attrs={"type": "date"})
    )
    prior_hospital = forms.CharField(
        label=_("Hospital where you were diagnosed"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Suzhou Municipal Hospital")}),
    )
    prior_diagnosis = forms.CharField(
        label=_("Diagnosis you received"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. hypertension")}),
    )
    follow_up = forms.BooleanField(
        label=_(
            "I confirm this is a follow-up of a condition already diagnosed in person (online care is for "
            "follow-up visits only)."
        ),
        error_messages={"required": _("Tick this box to confirm the visit is a follow-up.")},
    )
    files = MultipleFileField(label=_("Photos or PDFs of earlier reports (optional)"), required=False)

    def __init__(self, *args, persons=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.public_id), f"{p.name} ({p.get_relationship_display()})") for p in persons]
        if len(choices) > 1:  # make the patient choose: booking for the wrong family member is easy to miss
            choices.insert(0, ("", _("Choose who the visit is for")))
        self.fields["visit_person"].choices = choices
        # The diagnosis can't be in the future; a phone's date picker then greys out later days.
        self.fields["prior_visit_date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean(self):
        """The booking service's own rules on these fields too, so that every mistake shows at once (not
        the form's first, then the service's on the next try). The service checks them again."""
        cleaned = super().clean()
        typed = {name: cleaned.get(name) for name in ("complaint", "prior_hospital", "prior_diagnosis")}
        problems = booking_field_problems(
            complaint=typed["complaint"] or "",
            prior_visit_date=cleaned.get("prior_visit_date"),
            prior_hospital=typed["prior_hospital"] or "",
            prior_diagnosis=typed["prior_diagnosis"] or "",
        )
        for name, message in problems.items():
            if name not in self.errors:  # the field's own error (required, too long) says it already
                self.add_error(name, message)
        return cleaned


class GuidanceForm(forms.Form):
    # No max_length here: guidance refuses a too-long description with its own coded explanation.
    text = forms.CharField(label=_("What is bothering you?"))
