from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "ihospital.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from ihospital.core import outbox
        from ihospital.payments import handlers

        outbox.register("payments.refund", handlers.refund_from_outbox)
        outbox.register("payments.close", handlers.close_from_outbox)
