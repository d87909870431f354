from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ihospital.accounts.models import User
from ihospital.accounts.phone import normalize_phone
from ihospital.core import i18n
from ihospital.core.admin_roles import RoleAdmin
from ihospital.notifications.models import Notification


def kind_label(kind: str) -> str:
    """A kind of notice as a reader knows it: the title its notices carry, in the reader's language, with
    "…" for what differs between them ("Your online consultation starts at …"); the code when no notice
    of the kind kept its source text."""
    latest = Notification.objects.filter(kind=kind, source__title__isnull=False).order_by("-id").first()
    title = i18n.from_json((latest.source or {}).get("title")) if latest else None
    if not isinstance(title, i18n.Phrase):
        return kind
    return i18n.Phrase(title.msgid, params={name: "…" for name in title.params}).render()


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = Notification.objects.order_by().values_list("kind", flat=True).distinct()
        return [(kind, kind_label(kind)) for kind in sorted(kinds)]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(RoleAdmin):
    """What each person was told and when they read it: read-only, for auditors and security admins."""

    view_roles = frozenset({"auditor", "security_admin"})
    change_roles = frozenset()
    can_add = False
    # The title as the reader of this page reads it (rendered from its source text in their language), not
    # the copy stored in the recipient's language, nor the kind's code (kept as a filter).
    list_display = ("created_at", "user", "title_shown", "read_at")
    list_filter = (KindFilter,)
    list_select_related = ("user",)
    search_fields = ("kind", "dedupe_key", "user__username")
    readonly_fields = [f.name for f in Notification._meta.fields]

    @admin.display(description=_("title"), ordering="title")
    def title_shown(self, notification: Notification) -> str:
        return notification.shown_title

    def get_search_results(self, request, queryset, search_term):
        """A whole mobile number also finds what its account was told (by blind index: it is encrypted)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if phone := normalize_phone(search_term):
            results |= queryset.filter(user__in=User.objects.matching(phone=phone))
        return results, may_have_duplicates
