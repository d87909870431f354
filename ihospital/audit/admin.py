from django.contrib import admin

from ihospital.audit.models import AuditEvent
from ihospital.core.admin_roles import RoleAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(RoleAdmin):
    """Auditors read the trail; nobody can add, change or delete entries."""

    view_roles = frozenset({"auditor"})
    change_roles = frozenset()
    can_add = False
    list_display = ("seq", "created_at", "actor_name", "actor_role", "action", "target_type", "target_id", "ip")
    list_filter = ("actor_role", "action")
    search_fields = ("action", "actor_name", "actor_id", "target_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
