"""Huey tasks: each wraps one service and holds no logic of its own."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from ihospital.consultations import services


@db_task()
def consultation_call_expire_task(consultation_pk: int, called_at: str) -> str:
    return services.consultation_call_expire(consultation_pk=consultation_pk, called_at=called_at)


@db_task()
def consultation_auto_complete_task(consultation_pk: int) -> bool:
    return services.consultation_auto_complete(consultation_pk=consultation_pk)


@db_task()
def recordings_assemble_for_task(consultation_pk: int) -> int:
    return services.recordings_assemble_for(consultation_pk)


@db_periodic_task(crontab(minute="*"))
def consultations_sweep() -> tuple[int, int, int, int, int]:
    """Reminders due, unanswered calls, consultations past 24 hours, recordings left by a crashed browser,
    bookings whose patient never came."""
    return (
        services.reminders_send_due(),
        services.appointments_no_show_sweep(),
        services.consultation_calls_sweep(),
        services.consultations_auto_complete_due(),
        services.recordings_assemble_idle(),
    )
