"""HTML forms carry and redisplay input; the services validate it and name the fields at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ihospital.accounts import names
from ihospital.accounts.errors import VisitPersonError
from ihospital.accounts.models import IdentityConfirmation, VisitPerson
from ihospital.accounts.services import ConsentGiven


def _personal_name(value: str, *, required: bool = True) -> str:
    """The same rule as the services (names.clean_person_name), so the form shows it at once."""
    if not value and not required:
        return ""
    try:
        return names.clean_person_name(value)
    except names.InvalidName:
        raise forms.ValidationError(VisitPersonError.NAME_INVALID.message, code="name_invalid") from None


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class CodeForm(PhoneForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SignInForm(CodeForm):
    """The patient sign-in page: phone, code and, when asked for (a first sign-in, a new privacy notice),
    the two consents: to the privacy notice, and separately to processing health information (PIPL)."""

    consent_privacy_notice = forms.BooleanField(
        label=_("I have read the privacy notice and agree to it."), required=False
    )
    consent_health_data = forms.BooleanField(
        label=_(
            "I separately consent to the hospital processing my health information and that of the people I book "
            "for (sensitive personal information: symptoms, medical history, allergies, consultation records, "
            "recordings, prescriptions) to provide online care."
        ),
        required=False,
    )
    notice_version = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False

    def consent(self) -> ConsentGiven:
        data = self.cleaned_data
        return ConsentGiven(
            notice_version=data.get("notice_version") or "",
            privacy_notice=bool(data.get("consent_privacy_notice")),
            health_data=bool(data.get("consent_health_data")),
        )


_CODE = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"})


class StaffLoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), max_length=128, widget=forms.PasswordInput)


class IdentityCheckForm(forms.Form):
    """The identity re-check: the page shows one of the two fields at a time (``method`` says which)."""

    method = forms.ChoiceField(choices=IdentityConfirmation.Method.choices, widget=forms.HiddenInput)
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    totp_code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=10, required=False, widget=_CODE
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label=_("New password, again"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class TotpCodeForm(forms.Form):
    code = forms.CharField(label=_("Current code shown in the app"), max_length=10, widget=_CODE)


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class VisitPersonForm(forms.Form):
    relationship = forms.ChoiceField(label=_("Relationship to you"), choices=VisitPerson.Relationship.choices)
    name = forms.CharField(label=_("Name (as on the ID card)"), max_length=50)
    id_number = forms.CharField(label=_("Resident ID number"), max_length=20)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    allergies = forms.CharField(
        label=_("Allergies"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    chronic_conditions = forms.CharField(
        label=_("Chronic conditions"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), required=False, max_length=50)
    guardian_id_number = forms.CharField(label=_("Guardian's ID number"), required=False, max_length=20)
    guardian_phone = forms.CharField(label=_("Guardian's mobile number"), required=False, max_length=20)

    def clean_name(self):
        return _personal_name(self.cleaned_data["name"])

    def clean_guardian_name(self):
        return _personal_name(self.cleaned_data["guardian_name"], required=False)


class VisitPersonEditForm(VisitPersonForm):
    """Name, ID number and relationship are fixed once registered (real-name rule)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for fixed in ("relationship", "name", "id_number"):
            del self.fields[fixed]


class NameCorrectionForm(forms.Form):
    """A visit person's name, corrected: the full ID number proves the patient holds their ID card."""

    name = forms.CharField(label=_("Name (as on the ID card)"), max_length=50)
    id_number = forms.CharField(
        label=_("Their full resident ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_name(self):
        return _personal_name(self.cleaned_data["name"])
