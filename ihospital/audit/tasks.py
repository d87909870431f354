"""Huey tasks: each wraps one service and holds no logic of its own."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from ihospital.audit import services


@db_task()
def audit_chain_task() -> int:
    return services.audit_chain()


@db_periodic_task(crontab(minute="*"))
def audit_chain_sweep() -> int:
    """Chain whatever a lost or failed task left behind (a worker that was down, Redis unreachable)."""
    return services.audit_chain()
