from django import forms
from django.utils.translation import gettext_lazy as _


def _pin_field(label, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=12,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, "inputmode": "numeric", "pattern": "[0-9]*"}),
    )


class SigningPinForm(forms.Form):
    """Set the first signing PIN (``current`` not asked) or change it."""

    current_pin = _pin_field(_("Current signing PIN"), "current-password")
    new_pin = _pin_field(_("New signing PIN (6–12 digits)"), "new-password")
    new_pin_again = _pin_field(_("New signing PIN again"), "new-password")

    def __init__(self, *args, first: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if first:
            del self.fields["current_pin"]

    def clean(self):
        data = super().clean()
        if data.get("new_pin") and data.get("new_pin") != data.get("new_pin_again"):
            self.add_error("new_pin_again", _("The two new PINs differ."))
        return data
