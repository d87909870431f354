from django import forms
from django.utils.translation import gettext_lazy as _

from ihospital.fulfilment.models import PROVINCES


class AddressForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient"), max_length=30)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    province = forms.ChoiceField(label=_("Province"), choices=[("", "—"), *[(p, p) for p in PROVINCES]])
    city = forms.CharField(label=_("City"), max_length=20)
    district = forms.CharField(label=_("District"), max_length=20)
    detail = forms.CharField(
        label=_("Street, building and room"), max_length=120, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_default = forms.BooleanField(label=_("Use as my default address"), required=False)
