"""The demo hospital's exam rooms and their bookable sessions (检查排班), for `ihospital demo`: idempotent."""

from __future__ import annotations

from datetime import time

from django.conf import settings

from ihospital.audit.services import Actor
from ihospital.core.time import local, now
from ihospital.labs.models import ExamRoom
from ihospital.labs.services import RoomInput, Timetable, exam_room_create, exam_sessions_generate

MORNING = ((time(8, 0), time(9, 0)), (time(9, 0), time(10, 0)), (time(10, 0), time(11, 0)))
AFTERNOON = ((time(14, 0), time(15, 0)), (time(15, 0), time(16, 0)))

# (name, modality, department, place, capacity per hour, weekends)
ROOMS = [
    ("超声1室", "US", "超声科", "医技楼2楼 超声科 1号诊室", 6, True),
    ("超声2室", "US", "超声科", "医技楼2楼 超声科 2号诊室", 6, False),
    ("DR摄片室", "DR", "放射科", "医技楼1楼 放射科 DR室", 10, True),
    ("CT1室", "CT", "放射科", "医技楼1楼 放射科 CT1室", 8, True),
    ("MR1室", "MR", "放射科", "医技楼1楼 放射科 磁共振室", 3, False),
    ("心电图室", "ECG", "心电图室", "门诊楼3楼 心电图室", 8, True),
    ("动态监测室", "ABPM", "心电图室", "门诊楼3楼 心电图室 动态监测", 4, False),
    ("肺功能室", "PF", "呼吸科", "门诊楼4楼 肺功能室", 4, False),
    ("胃镜室", "ES", "内镜中心", "医技楼3楼 内镜中心", 4, False),
]


def load_lab_demo(*, actor: Actor) -> int:
    """The rooms (made once) and their sessions from today for LAB_BOOKING_DAYS_AHEAD days, mornings and
    afternoons; returns how many sessions were added (0 on a second run the same day)."""
    created = 0
    for name, modality, department, place, capacity, weekends in ROOMS:
        room = ExamRoom.objects.filter(name=name).first() or exam_room_create(
            data=RoomInput(name=name, modality=modality, department=department, place=place), actor=actor
        )
        timetable = Timetable(
            first_day=local(now()).date(),
            days=settings.LAB_BOOKING_DAYS_AHEAD,
            times=MORNING + AFTERNOON,
            capacity=capacity,
            weekends=weekends,
        )
        created += exam_sessions_generate(room=room, timetable=timetable, actor=actor)
    return created
