from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from ihospital.labs import services
from ihospital.labs.services import lab_bookings_remind_due


@db_periodic_task(crontab(minute="*/10"))
def lab_bookings_remind() -> int:
    return lab_bookings_remind_due()


# --- results and reports -----------------------------------------------------------------------------
KEY_IMAGE_RETRY_SECONDS = 60
KEY_IMAGE_ATTEMPTS = 30


@db_task()
def key_images_fetch(report_id: int, attempt: int = 1) -> int:
    """Fetch an exam report's key images; those the HIS could not give now are tried again later."""
    pending = services.key_images_fetch(report_id=report_id)
    if pending and attempt < KEY_IMAGE_ATTEMPTS:
        key_images_fetch.schedule(args=(report_id, attempt + 1), delay=KEY_IMAGE_RETRY_SECONDS)
    return pending


@db_periodic_task(crontab(minute="*/5"))
def reports_poll() -> int:
    return services.reports_poll_due()


@db_task()
def reports_sync(person_id: int) -> int:
    from ihospital.accounts.models import VisitPerson

    return services.reports_sync(person=VisitPerson.objects.get(pk=person_id), force=True)  # claimed by the caller
