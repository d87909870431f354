from django.contrib import admin

from ihospital.core.admin_roles import RoleAdmin
from ihospital.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(RoleAdmin):
    """What each person was told and when they read it: read-only, for auditors and security admins."""

    view_roles = frozenset({"auditor", "security_admin"})
    change_roles = frozenset()
    can_add = False
    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("kind", "dedupe_key", "user__username", "user__phone")
    readonly_fields = [f.name for f in Notification._meta.fields]
