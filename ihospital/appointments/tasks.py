"""Huey tasks: each wraps one service and holds no logic of its own."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from ihospital.appointments import services


@db_task()
def appointment_expire_hold_task(appointment_pk: int) -> bool:
    return services.appointment_expire_hold(appointment_pk=appointment_pk)


@db_periodic_task(crontab(minute="*"))
def appointments_sweep() -> tuple[int, int]:
    """Expire missed holds and decline requests nobody reviewed in time (so none is missed if a worker was down)."""
    return services.appointments_expire_due_holds(), services.appointments_reject_unreviewed()
