from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "ihospital.appointments"
    label = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from ihospital.appointments import handlers
        from ihospital.core import outbox

        outbox.register("appointments.his_match", handlers.match_from_outbox)
        outbox.register("appointments.his_register", handlers.register_from_outbox)
        outbox.register("appointments.his_reverse", handlers.reverse_from_outbox)
