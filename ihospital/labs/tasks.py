from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ihospital.labs.services import lab_bookings_remind_due


@db_periodic_task(crontab(minute="*/10"))
def lab_bookings_remind() -> int:
    return lab_bookings_remind_due()
