from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "ihospital.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from ihospital.core import outbox
        from ihospital.notifications import handlers

        outbox.register("security.alert", handlers.security_alert_from_outbox)
