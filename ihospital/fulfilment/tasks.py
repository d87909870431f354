"""Huey tasks: each wraps one service and holds no logic of its own."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ihospital.audit.services import Actor
from ihospital.fulfilment import services


@db_periodic_task(crontab(minute="*"))
def fulfilment_sweep() -> int:
    """Expire released prescriptions left unpaid past their validity (PRESCRIPTION_VALID_DAYS)."""
    return services.prescriptions_expire_due()


@db_periodic_task(crontab(hour="19", minute="10"))  # 03:10 in Beijing (huey's crontab reads UTC here)
def pharmacies_sync_daily() -> int:
    """Keep the pickup pharmacies in step with the HIS's pharmacy list."""
    return services.pharmacies_sync(actor=Actor.system("fulfilment"))
