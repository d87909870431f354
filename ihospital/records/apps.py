from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "ihospital.records"
    label = "records"
    verbose_name = _("Medical records")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from ihospital.core import outbox
        from ihospital.records import checks, handlers  # noqa: F401  (checks registers the system check)
        from ihospital.records.models import MedicalRecord, RecordVersion, refuse_deletion

        outbox.register("records.his_file", handlers.file_from_outbox)
        for model in (MedicalRecord, RecordVersion):
            pre_delete.connect(refuse_deletion, sender=model, dispatch_uid=f"records.no_delete.{model.__name__}")
