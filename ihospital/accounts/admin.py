from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts.models import User
from ihospital.core.admin_roles import RoleAdmin


@admin.register(User)
class UserAdmin(RoleAdmin, DjangoUserAdmin):
    """Security administrators manage accounts and roles; nobody else does (separation of duties)."""

    change_roles = frozenset({"security_admin"})
    list_display = ("username", "full_name", "role", "title", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name", "practice_certificate_no")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Identity"), {"fields": ("full_name", "phone", "role", "title", "practice_certificate_no")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "role", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")


# django-otp registers a TOTPDevice admin that shows every secret key (and its QR code) to any superuser.
# Here security administrators see who has an authenticator and when it was last used; nobody sees keys.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(RoleAdmin):
    view_roles = frozenset({"security_admin"})
    change_roles = frozenset()
    can_add = False
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__full_name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
