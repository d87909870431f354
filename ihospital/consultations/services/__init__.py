"""Consultation writes. Every state change is compare-and-set and audited (ARCHITECTURE §4)."""

from ihospital.consultations.services.queue import (
    appointments_no_show_sweep,
    check_in_window,
    consultation_answer,
    consultation_call,
    consultation_call_expire,
    consultation_calls_sweep,
    consultation_check_in,
    consultation_decline,
    consultation_mark_no_show,
)
from ihospital.consultations.services.recording import (
    recording_assemble,
    recording_chunk_add,
    recording_start,
    recordings_assemble_for,
    recordings_assemble_idle,
)
from ihospital.consultations.services.reminders import reminder_send, reminders_send_due
from ihospital.consultations.services.room import (
    consultation_auto_complete,
    consultation_complete,
    consultation_refer,
    consultations_auto_complete_due,
    message_image_post,
    message_payload,
    message_post,
)
from ihospital.consultations.services.stop import ScheduleStopped, schedule_stop
from ihospital.consultations.services.video import consultation_meeting_close, consultation_meeting_open

__all__ = [
    "ScheduleStopped",
    "appointments_no_show_sweep",
    "check_in_window",
    "consultation_answer",
    "consultation_decline",
    "consultation_auto_complete",
    "consultation_call",
    "consultation_call_expire",
    "consultation_calls_sweep",
    "consultation_check_in",
    "consultation_complete",
    "consultation_mark_no_show",
    "consultation_meeting_close",
    "consultation_meeting_open",
    "consultation_refer",
    "consultations_auto_complete_due",
    "message_image_post",
    "message_payload",
    "message_post",
    "recording_assemble",
    "recording_chunk_add",
    "recording_start",
    "recordings_assemble_for",
    "recordings_assemble_idle",
    "reminder_send",
    "reminders_send_due",
    "schedule_stop",
]
