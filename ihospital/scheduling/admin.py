from django.contrib import admin

from ihospital.core.admin_roles import RoleAdmin
from ihospital.scheduling.models import Department, DoctorFee, DoctorProfile


@admin.register(Department)
class DepartmentAdmin(RoleAdmin):
    list_display = ("code", "name_zh", "name_en", "parent", "is_online")
    list_filter = ("is_online", "parent")
    search_fields = ("code", "name_zh", "name_en")


class DoctorFeeInline(admin.TabularInline):
    model = DoctorFee
    extra = 0


@admin.register(DoctorProfile)
class DoctorProfileAdmin(RoleAdmin):
    list_display = ("user", "specialties")
    filter_horizontal = ("departments",)
    search_fields = ("user__full_name", "user__username", "specialties")
    fields = ("user", "departments", "specialties", "introduction", "photo")
    inlines = [DoctorFeeInline]
