from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

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
