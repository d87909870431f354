from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ihospital.core"
    label = "core"
    verbose_name = _("System")

    def ready(self) -> None:
        from ihospital.core import checks  # noqa: F401  (registers the deployment checks)
