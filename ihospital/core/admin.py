from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ihospital.core import outbox
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.models import OutboxMessage

# The hospital's name over every back-office page (Django's default reads "Django administration").
admin.site.site_header = _("Internet Hospital back office")
admin.site.site_title = _("Internet Hospital")
admin.site.index_title = _("Back office")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RoleAdmin):
    can_add = False
    list_display = ("created_at", "topic", "status", "correlation_id", "attempts", "next_attempt_at", "short_error")
    list_filter = ("status", "topic")
    # One business event across systems: search its correlation id (the business object's public id).
    search_fields = ("correlation_id", "idempotency_key", "public_id")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["replay_dead"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Replay the selected dead messages"))
    def replay_dead(self, request, queryset):
        revived = outbox.replay(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%d message put back in the queue.", "%d messages put back in the queue.", revived) % revived,
            messages.SUCCESS,
        )
