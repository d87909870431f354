from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrescriptionsConfig(AppConfig):
    name = "ihospital.prescriptions"
    label = "prescriptions"
    verbose_name = _("Prescriptions")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from ihospital.prescriptions import checks  # noqa: F401  (registers the rule-files check)
        from ihospital.prescriptions.models import Prescription, PrescriptionVersion, refuse_deletion

        for model in (Prescription, PrescriptionVersion):
            pre_delete.connect(refuse_deletion, sender=model, dispatch_uid=f"prescriptions.no_delete.{model.__name__}")
