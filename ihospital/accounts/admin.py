from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import SetPasswordMixin, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts.backoffice import (
    CHANGEABLE,
    account_change,
    account_deactivate,
    account_password_reset,
    check_account_change,
    check_password,
    staff_second_factor_reset,
)
from ihospital.accounts.models import CLINICAL_ROLES, STAFF_ROLES, Authenticator, Role, User
from ihospital.accounts.phone import normalize_phone
from ihospital.accounts.services import StaffAccountInput, staff_account_create
from ihospital.audit.services import Actor
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.errors import DomainError


class StaffAccountCreationForm(SetPasswordMixin, forms.ModelForm):
    """A new staff account; saved by ``staff_account_create`` (patients sign themselves up by SMS)."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ("username", "full_name", "role", "title", "practice_certificate_no")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(value, label) for value, label in Role.choices if value in STAFF_ROLES]
        self.fields["full_name"].required = True

    def clean(self):
        data = super().clean()
        self.validate_passwords()
        if data.get("role") in CLINICAL_ROLES and not (data.get("practice_certificate_no") or "").strip():
            self.add_error(
                "practice_certificate_no",
                _("Doctors, pharmacists and nurses practise under a certificate number (real-name rule)."),
            )
        password = data.get("password1")
        if password and "password2" not in self.errors:
            candidate = User(username=data.get("username", ""), full_name=data.get("full_name", ""))
            for reason in check_password(user=candidate, password=password):
                self.add_error("password2", reason)
        return data


class AccountChangeForm(UserChangeForm):
    """Details, role and activation of an account; saved by ``account_change``. The admin's ``get_form``
    sets ``actor`` on the class it builds for each request."""

    actor: Actor = Actor()

    def clean(self):
        data = super().clean()
        changes = {name: data[name] for name in self.changed_data if name in CHANGEABLE and name in data}
        for name, message in check_account_change(user=self.instance, changes=changes, actor=self.actor).items():
            self.add_error(name if name in self.fields else None, message)
        return data


class PasswordResetForm(SetPasswordMixin, forms.Form):
    password1, password2 = SetPasswordMixin.create_password_fields()

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        self.validate_passwords()
        return super().clean()


@admin.register(User)
class UserAdmin(RoleAdmin, DjangoUserAdmin):
    """Security administrators manage accounts and roles; nobody else does (separation of duties). Every
    save goes through a service that audits it; accounts are deactivated, never deleted."""

    change_roles = frozenset({"security_admin"})
    list_display = ("username", "full_name", "role", "title", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name", "practice_certificate_no")
    form = AccountChangeForm
    add_form = StaffAccountCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Identity"), {"fields": ("full_name", "masked_phone", "role", "title", "practice_certificate_no")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "last_login", "date_joined", "second_factor")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "role",
                    "title",
                    "practice_certificate_no",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # The user name is the sign-in name and the phone a patient's identity; is_staff follows the role.
    # The phone is shown masked: the back office manages accounts, it has no need to call anyone.
    readonly_fields = ("username", "masked_phone", "is_staff", "last_login", "date_joined", "second_factor")
    actions = ["deactivate_accounts"]

    @admin.display(description=_("second factor"))
    def second_factor(self, obj: User) -> str:
        """Whether the account has an authenticator, with the way to reset it (a lost phone)."""
        if obj.pk is None or obj.role == Role.PATIENT:
            return "—"
        has_totp = TOTPDevice.objects.filter(user_id=obj.pk, confirmed=True).exists()
        status = gettext("Authenticator set up") if has_totp else gettext("No authenticator")
        url = reverse("admin:accounts_user_second_factor", args=(obj.pk,))
        return format_html('{} · <a href="{}">{}</a>', status, url, gettext("Reset the second factor"))

    def get_urls(self):
        reset = self.admin_site.admin_view(self.second_factor_reset)
        return [path("<id>/second-factor/", reset, name="accounts_user_second_factor"), *super().get_urls()]

    def second_factor_reset(self, request, id):
        """Ask, then reset (``staff_second_factor_reset``): the staff member sets up a new authenticator, with
        their password, at the next sign-in."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        error = ""
        if request.method == "POST":
            try:
                staff_second_factor_reset(user=user, actor=Actor.of(request.user, request))
            except DomainError as refused:
                error = refused.message
            else:
                messages.success(request, gettext("Second factor reset; the account was signed out everywhere."))
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=(user.pk,)))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reset the second factor: %s") % user.get_username(),
            "opts": self.opts,
            "original": user,
            "error": error,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/accounts/user/second_factor_reset.html", context)

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj: User) -> str:
        return obj.masked_phone

    def get_search_results(self, request, queryset, search_term):
        """A whole mobile number also finds its account (through the blind index: the number is encrypted)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if phone := normalize_phone(search_term):
            results |= queryset.matching(phone=phone)
        return results, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = Actor.of(request.user, request)  # a class built for this request only
        return form

    def save_model(self, request, obj, form, change):
        actor = Actor.of(request.user, request)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in CHANGEABLE}
            account_change(user=obj, changes=changes, actor=actor)
            return
        data = form.cleaned_data
        created = staff_account_create(
            data=StaffAccountInput(
                username=data["username"],
                role=data["role"],
                full_name=data["full_name"].strip(),
                password=data["password1"],
                title=data.get("title", "").strip(),
                practice_certificate_no=data.get("practice_certificate_no", "").strip(),
            ),
            actor=actor,
        )
        vars(obj).update(vars(created))  # the admin goes on with ``obj`` (its pk, for the redirect)

    def save_related(self, request, form, formsets, change):
        """Accounts have no related rows edited here (groups and permissions are not used: roles are)."""

    @admin.action(description=_("Deactivate the selected accounts (revokes their tokens and sessions)"))
    def deactivate_accounts(self, request, queryset):
        actor = Actor.of(request.user, request)
        done = 0
        for user in queryset.filter(is_active=True):
            try:
                account_deactivate(user=user, actor=actor)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{user}: {error.message}", messages.WARNING)
        self.message_user(request, ngettext("%d account deactivated.", "%d accounts deactivated.", done) % done)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """The "reset password" page, saved by ``account_password_reset`` (which also signs the account
        out everywhere). Replaces Django's page, which saves the user itself and can disable passwords."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = PasswordResetForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                account_password_reset(
                    user=user, password=form.cleaned_data["password1"], actor=Actor.of(request.user, request)
                )
            except DomainError as error:
                field = "password2" if "password" in error.fields else None
                form.add_error(field, error.fields.get("password") or error.message)
            else:
                messages.success(request, gettext("Password reset; the account was signed out everywhere."))
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=(user.pk,)))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reset password: %s") % user.get_username(),
            "form": form,
            "opts": self.opts,
            "original": user,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/accounts/user/reset_password.html", context)


# django-otp registers a TOTPDevice admin that shows every secret key (and its QR code) to any superuser.
# Here security administrators see who has an authenticator and when it was last used; nobody sees keys.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class SetUpFilter(admin.SimpleListFilter):
    title = _("set up")
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return (("1", _("Yes")), ("0", _("No")))

    def queryset(self, request, queryset):
        return queryset if self.value() is None else queryset.filter(confirmed=self.value() == "1")


@admin.register(Authenticator)
class AuthenticatorAdmin(RoleAdmin):
    """django-otp's fields have untranslatable names: each column and label is named here."""

    view_roles = frozenset({"security_admin"})
    change_roles = frozenset()
    can_add = False
    list_display = ("account", "device_name", "is_confirmed", "created", "last_used")
    list_filter = (SetUpFilter,)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__full_name")
    fields = ("account", "device_name", "is_confirmed", "created", "last_used")
    readonly_fields = fields

    @admin.display(description=_("account"), ordering="user__username")
    def account(self, device: Authenticator) -> str:
        return str(device.user)

    @admin.display(description=_("device name"))
    def device_name(self, device: Authenticator) -> str:
        return device.name

    @admin.display(description=_("set up"), boolean=True, ordering="confirmed")
    def is_confirmed(self, device: Authenticator) -> bool:
        return device.confirmed

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, device: Authenticator):
        return device.created_at

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used(self, device: Authenticator):
        return device.last_used_at


def _staff_sign_in_instead(request, extra_context=None):
    """The back office has no sign-in of its own: back-office staff sign in on the staff page, with their
    password and authenticator code, and come back. (Django's admin login would take a password alone.)"""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:staff_sign_in')}?{urlencode({'next': target})}")


admin.site.login = _staff_sign_in_instead  # type: ignore[method-assign]
