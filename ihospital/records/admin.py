"""Back office for medical records: read-only, for the auditor, and only their bookkeeping (versions,
signers, signing and HIS filing times) — not their clinical content, which is read through the audited
selectors only. Nobody adds, changes or deletes a record here (RoleAdmin refuses; no change roles)."""

from __future__ import annotations

from django.contrib import admin

from ihospital.core.admin_roles import RoleAdmin
from ihospital.records.models import MedicalRecord, RecordVersion

BOOKKEEPING = ("number", "status", "author", "created_at", "saved_at", "signed_at", "signature", "his_filing_no")


class Kept(RoleAdmin):
    view_roles = frozenset({"auditor"})
    change_roles: frozenset[str] = frozenset()
    can_add = False

    def get_actions(self, request):
        return {}  # not even the bulk "delete selected"


class VersionInline(admin.TabularInline):
    model = RecordVersion
    fields = BOOKKEEPING
    readonly_fields = BOOKKEEPING
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MedicalRecord)
class MedicalRecordAdmin(Kept):
    list_display = ("public_id", "doctor", "created_at")
    list_select_related = ("doctor",)
    fields = ("public_id", "doctor", "created_at")
    readonly_fields = fields
    search_fields = ("=public_id",)
    inlines = [VersionInline]


@admin.register(RecordVersion)
class RecordVersionAdmin(Kept):
    list_display = ("record", "number", "status", "author", "signed_at", "his_filing_no")
    list_filter = ("status",)
    list_select_related = ("record", "author")
    fields = ("record", *BOOKKEEPING)
    readonly_fields = fields
