"""Back office of the hospital administrator: departments, doctor profiles and doctors' fees. Every save
goes through a service of ``scheduling.services``, which audits it; nothing here is deleted (departments
are taken offline, doctors' accounts deactivated)."""

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.errors import DomainError
from ihospital.core.files.uploads import check_upload
from ihospital.core.money import MoneyFormatError, parse_yuan
from ihospital.scheduling.models import Department, DoctorProfile, SlotCategory
from ihospital.scheduling.selectors import doctor_fees
from ihospital.scheduling.services import (
    DEPARTMENT_FIELDS,
    PHOTO_MAX_BYTES,
    PROFILE_FIELDS,
    DepartmentInput,
    DoctorProfileInput,
    check_department,
    check_doctor_profile,
    department_create,
    department_update,
    doctor_fees_set,
    doctor_photo_discard_unless_used,
    doctor_photo_store,
    doctor_profile_create,
    doctor_profile_update,
)


def _changes(form: forms.ModelForm, names) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names and name in form.cleaned_data}


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("code", *DEPARTMENT_FIELDS)

    def clean(self):
        data = super().clean()
        existing = self.instance if self.instance.pk else None
        values = _changes(self, DEPARTMENT_FIELDS) if existing else {**data, "code": data.get("code")}
        for name, message in check_department(department=existing, values=values).items():
            if name not in self.errors:
                self.add_error(name if name in self.fields else None, message)
        return data


@admin.register(Department)
class DepartmentAdmin(RoleAdmin):
    list_display = ("name_zh", "name_en", "code", "parent", "is_online")
    list_filter = ("is_online", "parent")
    search_fields = ("code", "name_zh", "name_en")
    form = DepartmentForm
    fields = ("code", *DEPARTMENT_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        actor = Actor.of(request.user, request)
        if change:
            department_update(department=obj, changes=_changes(form, DEPARTMENT_FIELDS), actor=actor)
            return
        data = DepartmentInput(**{name: form.cleaned_data[name] for name in ("code", *DEPARTMENT_FIELDS)})
        vars(obj).update(vars(department_create(data=data, actor=actor)))  # the admin goes on with ``obj``

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited on a department's page."""


FEE_FIELDS = {
    f"fee_{SlotCategory.VIDEO}": SlotCategory.VIDEO,
    f"fee_{SlotCategory.TEXT}": SlotCategory.TEXT,
    f"fee_{SlotCategory.ONSITE}": SlotCategory.ONSITE,
}
FEE_HELP = _("The registration fee new sessions of this category charge unless another is entered. Empty: none.")


class DoctorProfileForm(forms.ModelForm):
    """The profile and the doctor's fee per slot category (in yuan, kept in fen)."""

    fee_video = forms.CharField(label=_("Fee for online video (yuan)"), required=False, help_text=FEE_HELP)
    fee_text = forms.CharField(label=_("Fee for online text and images (yuan)"), required=False, help_text=FEE_HELP)
    fee_onsite = forms.CharField(label=_("Fee on site (yuan)"), required=False, help_text=FEE_HELP)

    class Meta:
        model = DoctorProfile
        fields = ("user", *PROFILE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            fees = doctor_fees(self.instance)
            for name, category in FEE_FIELDS.items():
                fee = fees.get(category)
                self.initial[name] = "" if fee is None else f"{fee / 100:.2f}"
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(
                role=Role.DOCTOR, is_active=True, doctor_profile__isnull=True
            ).order_by("full_name")

    def clean(self):
        data = super().clean()
        self.fees_fen = {}
        for name, category in FEE_FIELDS.items():
            text = (data.get(name) or "").strip()
            try:
                self.fees_fen[category] = parse_yuan(text) if text else None
            except MoneyFormatError:
                self.add_error(name, _("An amount in yuan, such as 30 or 12.50."))
        user = data.get("user") if not self.instance.pk else None
        values = _changes(self, PROFILE_FIELDS) if self.instance.pk else data
        for name, message in check_doctor_profile(user=user, values=values).items():
            if name not in self.errors:
                self.add_error(name if name in self.fields else None, message)
        return data

    def clean_photo(self):
        """A new photo is checked as the service will check it, so a refusal shows on the field."""
        photo = self.cleaned_data.get("photo")
        if isinstance(photo, UploadedFile):
            try:
                check_upload(name=photo.name or "photo", data=photo, max_bytes=PHOTO_MAX_BYTES, images_only=True)
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
            finally:
                photo.seek(0)
        return photo

    def changed_fees(self) -> dict:
        return {category: self.fees_fen[category] for name, category in FEE_FIELDS.items() if name in self.changed_data}


@admin.register(DoctorProfile)
class DoctorProfileAdmin(RoleAdmin):
    list_display = ("user", "specialties")
    filter_horizontal = ("departments",)
    search_fields = ("user__full_name", "user__username", "specialties")
    form = DoctorProfileForm
    fields = ("user", *PROFILE_FIELDS, *FEE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Django runs the whole page in one transaction. A new photo is checked and stored before it
        opens (no storage I/O inside a transaction), and deleted once it has ended unless the profile
        names it (a refused form, a rollback)."""
        upload = request.FILES.get("photo") if request.method == "POST" else None
        stored = None
        if upload is not None and self.has_change_permission(request):
            try:
                stored = doctor_photo_store(name=upload.name or "photo", data=upload)
            except DomainError:
                pass  # the form refuses it, saying why
            finally:
                upload.seek(0)
        if stored is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        request.stored_doctor_photo = stored  # for save_model
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        finally:
            doctor_photo_discard_unless_used(name=stored)

    @staticmethod
    def _stored_photo(request, value) -> str | None:
        """A new upload: the name changeform_view stored it under. Otherwise none (False: "clear" ticked)."""
        return request.stored_doctor_photo if isinstance(value, UploadedFile) else None

    def save_model(self, request, obj, form, change):
        actor = Actor.of(request.user, request)
        changes = _changes(form, PROFILE_FIELDS)
        if "photo" in changes:
            changes["photo"] = self._stored_photo(request, changes["photo"])
        if change:
            doctor_profile_update(profile=obj, changes=changes, actor=actor)
            return
        data = form.cleaned_data
        created = doctor_profile_create(
            user=data["user"],
            data=DoctorProfileInput(
                departments=list(data["departments"]),
                specialties=data.get("specialties", ""),
                introduction=data.get("introduction", ""),
                photo=self._stored_photo(request, data.get("photo")) or "",
            ),
            actor=actor,
        )
        vars(obj).update(vars(created))  # the admin goes on with ``obj``

    def save_related(self, request, form, formsets, change):
        """Departments were saved with the profile; the fees go through ``doctor_fees_set``."""
        fees = form.changed_fees()
        if fees:
            doctor_fees_set(doctor=form.instance, fees=fees, actor=Actor.of(request.user, request))
