from django import forms
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class BookingForm(forms.Form):
    visit_person = forms.ChoiceField(label=_("Who is the visit for?"))
    complaint = forms.CharField(
        label=_("Describe your condition (chief complaint)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. blood pressure still high on my usual dose")}),
    )
    prior_visit_date = forms.DateField(
        label=_("Date of the in-person diagnosis"), widget=forms.DateInput(attrs={"type": "date"})
    )
    prior_hospital = forms.CharField(label=_("Hospital where you were diagnosed"), max_length=100)
    prior_diagnosis = forms.CharField(label=_("Diagnosis you received"), max_length=200)
    follow_up = forms.BooleanField(
        label=_(
            "I confirm this is a follow-up of a condition already diagnosed in person (online care is for "
            "follow-up visits only)."
        ),
    )
    files = forms.FileField(
        label=_("Earlier reports (photos or PDFs, up to 9)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )

    def __init__(self, *args, persons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_person"].choices = [(str(p.public_id), p.name) for p in persons]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the patient"), max_length=300)


class GuidanceForm(forms.Form):
    text = forms.CharField(label=_("What is bothering you?"), max_length=500)
