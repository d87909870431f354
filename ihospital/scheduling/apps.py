from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "ihospital.scheduling"
    label = "scheduling"
    verbose_name = _("Departments and doctors")

    def ready(self) -> None:
        from ihospital.scheduling import checks  # noqa: F401  (registers the symptom-rules check)
