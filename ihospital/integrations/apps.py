from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "ihospital.integrations"
    label = "integrations"
    verbose_name = _("Outside systems")

    def ready(self) -> None:
        from functools import partial

        from ihospital.core import outbox
        from ihospital.integrations import his, sms, video

        outbox.register("sms.send", sms.deliver_from_outbox)
        outbox.register("video.meeting_close", video.close_from_outbox)
        # HIS writes with nothing to record of the answer (apps that keep the answer register their own).
        for topic, operation in his.write_topics().items():
            outbox.register(topic, partial(his.deliver_from_outbox, operation))
        # The courier, simulated HIS and payment sandboxes' huey tasks (huey autodiscovers only <app>/tasks.py):
        # moving parcels and pushing their updates; performing an order, pushing its reports (lab results).
        from ihospital.integrations.courier.sandbox import tasks as _sandbox_courier_tasks  # noqa: F401
        from ihospital.integrations.his.simulated import tasks as _his_sim_tasks  # noqa: F401
        from ihospital.integrations.payproviders.sandbox import tasks as _sandbox_pay_tasks  # noqa: F401
