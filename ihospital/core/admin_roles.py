"""Django admin by role (separation of duties, 三权分立): each ModelAdmin names the roles that may see
and change it, instead of per-user permission rows that drift.

    hospital_admin  departments, doctors, schedules, catalogs, outbox replay
    security_admin  accounts and roles
    auditor         the audit trail, read-only

Only services write (ARCHITECTURE §4.2), and they audit what they write: a ModelAdmin whose pages save
overrides ``save_model`` (and ``save_related`` when it has inlines or many-to-many fields) to call its
app's services. One that doesn't is read-only, whatever its fields say: saving it is refused.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied


class RoleAdmin(admin.ModelAdmin):
    view_roles: frozenset[str] = frozenset()
    change_roles: frozenset[str] = frozenset({"hospital_admin"})
    can_add = True

    def _role(self, request) -> str | None:
        user = request.user
        return getattr(user, "role", None) if user.is_active and user.is_staff else None

    def has_module_permission(self, request) -> bool:
        return self._role(request) in self.view_roles | self.change_roles

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._role(request) in self.change_roles

    def has_add_permission(self, request) -> bool:
        return self.can_add and self.has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # records are superseded or deactivated, never deleted from the back office

    def save_model(self, request, obj, form, change):
        raise PermissionDenied  # no service behind this page: nothing may be saved through it

    def save_related(self, request, form, formsets, change):
        raise PermissionDenied

    def delete_model(self, request, obj):
        raise PermissionDenied

    def delete_queryset(self, request, queryset):
        raise PermissionDenied
