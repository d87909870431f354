from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "ihospital.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from ihospital.core import outbox
        from ihospital.integrations import sms

        outbox.register("sms.send", sms.deliver_from_outbox)
