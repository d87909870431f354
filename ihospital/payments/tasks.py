"""Huey tasks of payments: the periodic reconciliation with the provider (no logic here)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ihospital.payments import services


@db_periodic_task(crontab(minute="*"))
def payment_query_pending() -> dict[str, int]:
    return services.payment_query_pending()
