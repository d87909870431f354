from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabsConfig(AppConfig):
    name = "ihospital.labs"
    label = "labs"
    verbose_name = _("Lab tests and exams")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from ihospital.core import outbox
        from ihospital.labs import handlers
        from ihospital.labs.models import LabOrder
        from ihospital.records.models import refuse_deletion

        outbox.register("labs.his_place", handlers.place_from_outbox)
        outbox.register("labs.his_charge", handlers.charge_from_outbox)
        outbox.register("labs.his_refund", handlers.refund_from_outbox)
        pre_delete.connect(refuse_deletion, sender=LabOrder, dispatch_uid="labs.no_delete.LabOrder")
