"""Huey tasks of the courier sandbox: moving parcels on and pushing their route updates.

Imported by IntegrationsConfig.ready() (huey only autodiscovers ``<app>/tasks.py``).
"""

from huey.contrib.djhuey import db_task

from ihospital.integrations.courier.sandbox import route


@db_task()
def sandbox_courier_advance(shipment_pk: int) -> None:
    route.advance(shipment_pk)


@db_task()
def sandbox_courier_push(event_pk: int) -> None:
    delay = route.push(event_pk)
    if delay is not None:
        sandbox_courier_push.schedule(args=(event_pk,), delay=delay)
