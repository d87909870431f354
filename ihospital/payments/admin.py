"""Read-only back office for payments: hospital administrators look, nobody edits a money record here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ihospital.core.admin_display import in_yuan, yuan
from ihospital.core.admin_roles import RoleAdmin
from ihospital.payments.models import PaymentNotification, PaymentOrder, Refund

YUAN = {
    "amount_fen": yuan("amount_fen", _("amount (yuan)")),
    "refunded_fen": yuan("refunded_fen", _("refunded (yuan)")),
}


class PaymentReadOnlyAdmin(RoleAdmin):
    view_roles = frozenset({"hospital_admin"})
    change_roles = frozenset()
    can_add = False

    def get_readonly_fields(self, request, obj=None):
        return in_yuan([field.name for field in self.model._meta.fields], YUAN)


@admin.register(PaymentOrder)
class PaymentOrderAdmin(PaymentReadOnlyAdmin):
    list_display = in_yuan(
        ("created_at", "out_trade_no", "payable_kind", "amount_fen", "refunded_fen", "status", "provider"), YUAN
    )
    list_filter = ("status", "provider", "payable_kind")
    search_fields = ("out_trade_no", "public_id", "payable_id", "provider_txn_id")
    list_select_related = ("payer",)


@admin.register(Refund)
class RefundAdmin(PaymentReadOnlyAdmin):
    list_display = in_yuan(("created_at", "out_refund_no", "order", "amount_fen", "status", "reason"), YUAN)
    list_filter = ("status",)
    search_fields = ("out_refund_no", "order__out_trade_no", "idempotency_key", "provider_refund_id")
    list_select_related = ("order",)


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(PaymentReadOnlyAdmin):
    list_display = ("received_at", "provider", "kind", "out_trade_no", "signature_valid", "outcome", "error")
    list_filter = ("outcome", "signature_valid", "provider", "kind")
    search_fields = ("out_trade_no", "public_id")
