from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ihospital.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from ihospital.core import checks  # noqa: F401  (registers the deployment checks)
