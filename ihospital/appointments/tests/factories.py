"""Building blocks for appointment tests: a doctor with an online schedule starting tomorrow, visit persons."""

from __future__ import annotations

from datetime import date, timedelta

from ihospital.accounts import services as accounts
from ihospital.accounts.idcard import check_character
from ihospital.audit.services import Actor
from ihospital.core.time import now
from ihospital.scheduling.models import Department, DoctorProfile, Schedule
from ihospital.scheduling.services import ScheduleInput, schedule_create

SYSTEM = Actor.system("test")


def resident_id(sequence: int, birth: date = date(1980, 5, 5)) -> str:
    first17 = f"320505{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def department(code: str = "cardiology") -> Department:
    found, _ = Department.objects.get_or_create(code=code, defaults={"name_zh": "心血管内科", "name_en": "Cardiology"})
    return found


def doctor_profile(user) -> DoctorProfile:
    profile, created = DoctorProfile.objects.get_or_create(user=user)
    if created:
        profile.departments.add(department())
    return profile


def online_schedule(
    doctor_user,
    *,
    category: str = "video",
    capacity: int = 5,
    fee_fen: int = 3000,
    starts_in: timedelta = timedelta(days=1),
    period: str = "morning",
) -> Schedule:
    starts = (now() + starts_in).astimezone()
    local = starts.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    return schedule_create(
        data=ScheduleInput(
            doctor=doctor_profile(doctor_user),
            department=department(),
            date=local.date(),
            period=period,
            category=category,
            capacity=capacity,
            fee_fen=fee_fen,
            starts_at_time=local.time().replace(microsecond=0),
        ),
        actor=SYSTEM,
    )


def visit_person(account, sequence: int = 1, relationship: str = "other"):
    return accounts.visit_person_create(
        account=account,
        data=accounts.VisitPersonInput(
            relationship=relationship,
            name="病人" + str(sequence).translate(str.maketrans("0123456789", "零一二三四五六七八九")),
            id_number=resident_id(sequence),
            phone=account.phone or "13800000001",
        ),
        actor=SYSTEM,
    )


def booking(person, schedule, **overrides):
    from ihospital.appointments.services import BookingInput

    values = {
        "visit_person": person,
        "schedule": schedule,
        "complaint": "高血压复诊，血压控制不佳",
        "prior_visit_date": date.today() - timedelta(days=60),
        "prior_hospital": "苏州市立医院",
        "prior_diagnosis": "原发性高血压",
    }
    return BookingInput(**{**values, **overrides})
