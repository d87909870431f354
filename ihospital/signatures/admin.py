"""The back office's view of certificates and signatures: read-only (services write); the security
administrator revokes certificates through ``certificate_revoke`` (the CA is told, and it is audited)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _

from ihospital.audit.services import Actor
from ihospital.core.admin_roles import RoleAdmin
from ihospital.core.errors import DomainError
from ihospital.signatures.models import Certificate, Signature
from ihospital.signatures.services import certificate_revoke


class RevokeActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


@admin.register(Certificate)
class CertificateAdmin(RoleAdmin):
    view_roles = frozenset({"security_admin", "hospital_admin", "auditor"})
    change_roles = frozenset()
    can_add = False
    list_display = ("subject", "kind", "algorithm", "serial", "not_before", "not_after", "trusted", "revoked_at")
    list_filter = ("kind", "algorithm", "trusted")
    search_fields = ("subject", "serial", "fingerprint")
    readonly_fields = [f.name for f in Certificate._meta.fields]
    action_form = RevokeActionForm
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        return self._role(request) == "security_admin"

    @admin.action(description=_("Revoke the selected certificates (they sign nothing more)"), permissions=["revoke"])
    def revoke(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Give a reason for revoking."), messages.ERROR)
            return
        for certificate in queryset:
            try:
                certificate_revoke(certificate=certificate, reason=reason, actor=Actor.of(request.user, request))
            except DomainError as error:
                self.message_user(request, f"{certificate}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, _("Revoked: %(certificate)s") % {"certificate": certificate})


@admin.register(Signature)
class SignatureAdmin(RoleAdmin):
    view_roles = frozenset({"auditor"})
    change_roles = frozenset()
    can_add = False
    list_display = ("document_type", "document_id", "version", "signer", "algorithm", "signed_at")
    list_filter = ("document_type", "algorithm")
    search_fields = ("document_id", "digest")
    readonly_fields = [f.name for f in Signature._meta.fields]
