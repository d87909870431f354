"""检验检查: lab/exam orders and their bookings (orders.py), results and reports (reports.py).

One package, one import path (``ihospital.labs.models``): each module re-exported here.
"""

from ihospital.labs.models.orders import (
    ACTIVE_BOOKING,
    ExamBooking,
    ExamRoom,
    ExamSession,
    LabOrder,
    LabOrderItem,
)
from ihospital.labs.models.reports import CriticalAlert, KeyImage, Report, ResultValue

__all__ = [
    "ACTIVE_BOOKING",
    "CriticalAlert",
    "ExamBooking",
    "ExamRoom",
    "ExamSession",
    "KeyImage",
    "LabOrder",
    "LabOrderItem",
    "Report",
    "ResultValue",
]
