"""Huey tasks of payments: the periodic reconciliation with the provider (no logic here)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ihospital.payments import services


@db_periodic_task(crontab(minute="*"))
def payment_query_pending() -> dict[str, int]:
    return services.payment_query_pending()


@db_periodic_task(crontab(hour="18", minute="30"))  # 02:30 in Beijing (huey's crontab reads UTC here)
def his_reconcile_yesterday() -> dict[str, int]:
    """对账 with the HIS: yesterday's payments and refunds against its statement."""
    from ihospital.payments.services.his_reconcile import his_reconcile_yesterday as reconcile

    return reconcile()
