"""Huey tasks of the payment sandbox: notification delivery attempts and asynchronous refund completion.

Imported by IntegrationsConfig.ready() so that a worker knows them (huey only autodiscovers
``<app>/tasks.py``).
"""

from huey.contrib.djhuey import db_task

from ihospital.integrations.payproviders.sandbox import notify, trades


@db_task()
def sandbox_notification_send(notification_id: int, take_fault: bool = True) -> None:
    retry = notify.attempt(notification_id, take_fault=take_fault)
    if retry is not None:
        sandbox_notification_send.schedule(args=(notification_id, retry.take_fault), delay=retry.seconds)


@db_task()
def sandbox_refund_complete(refund_id: int) -> None:
    trades.refund_complete(refund_id)
