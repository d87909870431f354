"""Finding a doctor (patient API): departments, symptom guidance, doctors, their sessions and slots."""

from __future__ import annotations

from uuid import UUID

from ninja import Router

from ihospital.scheduling import guidance, selectors
from ihospital.scheduling.schemas import DepartmentOut, DoctorCardOut, GuidanceIn, GuidanceOut, ScheduleOut


def build_router(auth) -> Router:
    router = Router(tags=["find a doctor"], auth=auth)

    @router.get("/departments", response=list[DepartmentOut])
    def list_departments(request):
        return selectors.department_list()

    @router.post("/guidance", response=GuidanceOut)
    def symptom_guidance(request, body: GuidanceIn):
        """导诊: ranked department suggestions for a description of symptoms (Chinese or English), and
        whether it reads like an emergency (then show ``emergency_advice`` first). Refuses text longer than
        500 characters: guidance.text_too_long."""
        result, paired = guidance.guide_for_patients(body.text)
        return {
            "emergency": result.emergency,
            "emergency_advice": str(guidance.EMERGENCY_ADVICE) if result.emergency else "",
            "red_flags": list(result.red_flags),
            "suggestions": [
                {
                    "department_id": department.public_id,
                    "department_code": suggestion.department_code,
                    "department_name": department.name,
                    "reason": suggestion.reason,
                    "score": suggestion.score,
                }
                for suggestion, department in paired
            ],
        }

    @router.get("/departments/{department_id}/doctors", response=list[DoctorCardOut])
    def department_doctors(request, department_id: UUID):
        department = selectors.access_department(department_id)
        return [DoctorCardOut.from_card(card) for card in selectors.doctors_in_department(department)]

    @router.get("/doctors/{doctor_id}/schedules", response=list[ScheduleOut])
    def doctor_schedules(request, doctor_id: UUID):
        """The doctor's online sessions of the next 7 days, with their free slots."""
        return selectors.doctor_schedules(selectors.access_doctor(doctor_id))

    return router
