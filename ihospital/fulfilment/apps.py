from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfilmentConfig(AppConfig):
    name = "ihospital.fulfilment"
    label = "fulfilment"
    verbose_name = _("Dispensing, delivery and pickup")

    def ready(self) -> None:
        from ihospital.core import outbox
        from ihospital.fulfilment import handlers

        outbox.register("fulfilment.courier_ship", handlers.ship_from_outbox)
        outbox.register("fulfilment.his_dispense", handlers.his_dispense_from_outbox)
        outbox.register("fulfilment.his_cancel_dispense", handlers.his_cancel_dispense_from_outbox)
