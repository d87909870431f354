"""Every page, file, upload, recording and sandbox route of the site (not the APIs, which describe
themselves, nor Django's admin site), classified: who may call it, what a successful call looks like,
and whose objects it serves. ``tests/test_authorization_matrix.py`` walks the URLconf and fails on any
route missing here, then checks each one:

- a page for some roles: anonymous callers are sent to the sign-in page of those roles, a signed-in
  person of any other role gets 403, each admitted persona's call succeeds (2xx, or a redirect to where
  the route leads, with no error message), and another person of an admitted role gets 404 for
  objects that are not theirs;
- a page for anyone answers anyone; a route for machines (a provider's notification) refuses a caller
  without its credentials;
- a dev or sandbox route answers only while its switch is on (DEBUG, or the sandbox is the configured
  provider), and is not found otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from ihospital.accounts.models import Role
from tests.authorization import prescriptions as rx
from tests.authorization import world
from tests.authorization.world import World

ALL_ROLES = frozenset(Role.values)
PATIENT, DOCTOR, AUDITOR = frozenset({"patient"}), frozenset({"doctor"}), frozenset({"auditor"})
CLINICAL = frozenset({"doctor", "pharmacist", "nurse"})
STAFF = ALL_ROLES - PATIENT
SIGNERS = frozenset({"doctor", "pharmacist"})
# The persona who calls a page for each admitted role, and the personas who must not see others' objects.
PERSONA_OF = {
    "patient": "alice",
    "doctor": "dr_bob",
    "pharmacist": "carol",
    "nurse": "nina",
    "hospital_admin": "admin",
    "security_admin": "secadmin",
    "auditor": "auditor",
}
ROLE_OF = {**{persona: role for role, persona in PERSONA_OF.items()}, "mallory": "patient", "dr_erin": "doctor"}
ALICE, BOB, NOT_ALICE, NOT_BOB = ("alice",), ("dr_bob",), ("mallory",), ("dr_erin",)


@dataclass
class Call:
    """The request an admitted caller makes, and what its success looks like."""

    kwargs: dict = field(default_factory=dict)  # the URL's parameters
    data: dict | bytes | None = None  # a POST's form fields, or its raw body
    status: int = 200
    to: str = ""  # where a successful redirect leads (the start of its path)


@dataclass(frozen=True)
class Page:
    name: str  # the URL's name, pinned with its route
    roles: frozenset[str] = frozenset()  # who may call it; empty: anyone
    method: str = "GET"
    setup: Callable[[World], Call] = lambda w: Call()  # builds the objects, says what success is
    owners: tuple[str, ...] = ()  # personas whose call must succeed (default: one per admitted role)
    intruders: tuple[str, ...] = ()  # personas of an admitted role to whom the objects are someone else's
    gate: str = ""  # dev and sandbox routes: the switch that turns them on (off in production)
    refused: int = 0  # a route guarded by other means than a session: what a caller without them gets


TO_DESK = {"status": 302, "to": "/staff/desk/"}


def _appointment(build, **expected) -> Callable[[World], Call]:
    return lambda w: Call({"appointment_id": build(w).public_id}, **expected)


def _consultation(build, **expected) -> Callable[[World], Call]:
    return lambda w: Call({"consultation_id": build(w).public_id}, **expected)


def _cancel(w: World) -> Call:
    appointment = world.pending(w)
    return Call({"appointment_id": appointment.public_id}, status=302, to=f"/p/appointments/{appointment.public_id}/")


def _answer(w: World) -> Call:
    consultation = world.calling(w)
    return Call(
        {"consultation_id": consultation.public_id}, status=302, to=f"/p/consultations/{consultation.public_id}/"
    )


def _decline(w: World) -> Call:
    consultation = world.calling(w)
    return Call(
        {"consultation_id": consultation.public_id},
        status=302,
        to=f"/p/appointments/{consultation.appointment.public_id}/waiting-room/",
    )


def _review(w: World) -> Call:
    data = {"decision": "accept", "prior_diagnosis_confirmed": "on"}
    return Call({"appointment_id": world.requested(w).public_id}, data=data, status=302, to="/staff/review/")


def _call_next(w: World) -> Call:
    world.checked_in(w)
    return Call(**TO_DESK)


def _photo_upload(w: World) -> Call:
    photo = SimpleUploadedFile("p.png", world.png(), content_type="image/png")
    return Call({"consultation_id": world.in_progress(w).public_id}, data={"image": photo}, status=201)


def _recording_start(w: World) -> Call:
    return Call({"consultation_id": world.in_progress(w).public_id}, data=b'{"mimeType": "video/webm"}', status=201)


def _recording_chunk(w: World) -> Call:
    return Call({**world.recording(w), "seq": 1}, data=b"the stream goes on", status=201)


def _notification(user) -> Call:
    area = "p" if user.role == "patient" else "staff"
    return Call({"notification_id": world.notification(user).public_id}, status=302, to=f"/{area}/messages/")


def _report(kind: str = "lab", **params) -> Callable[[World], Call]:
    return lambda w: Call({"report_id": world.report(w, kind=kind).public_id, **params})


def _record(build) -> Callable[[World], Call]:
    return lambda w: Call({"record_id": build(w).record.public_id})


def _record_draft_save(w: World) -> Call:
    draft = world.record_draft(w)
    body = f'{{"revision": {draft.revision}, "chief_complaint": "咳嗽", "diagnoses": ["J06.9"]}}'.encode()
    return Call({"record_id": draft.record.public_id}, data=body)


def _record_template(w: World) -> Call:
    draft = world.record_draft(w)
    return Call({"record_id": draft.record.public_id}, data='{"name": "上感"}'.encode(), status=201)


def _record_sign(w: World) -> Call:
    draft = world.record_draft(w)
    world.signing_ready(w)
    return Call(
        {"record_id": draft.record.public_id}, data=f'{{"revision": {draft.revision}, "pin": "246810"}}'.encode()
    )


def _cashier(w: World) -> Call:
    return Call({"out_trade_no": world.payment_order(world.checked_out(w)).out_trade_no})


def _lab_order(build, **expected) -> Callable[[World], Call]:
    return lambda w: Call({"order_id": build(w).public_id}, **expected)


def _lab_book(w: World) -> Call:
    order = world.lab_order_paid(w)
    target = world.exam_session(w)
    return Call({"order_id": order.public_id}, data={"session": str(target.public_id)}, status=302, to="/p/lab-orders/")


def _lab_cancel(w: World) -> Call:
    order = world.lab_orders(w)["lab"]
    return Call({"order_id": order.public_id}, data={"reason": ""}, status=302, to="/p/lab-orders/")


def _lab_withdraw(w: World) -> Call:
    order = world.lab_orders(w)["exam"]
    to = f"/staff/consultations/{order.consultation.public_id}/lab-orders/"
    return Call({"order_id": order.public_id}, data={"reason": "改为线下检查"}, status=302, to=to)


NURSE = frozenset({"nurse"})


# route → what it is
def _rx(build, **expected) -> Callable[[World], Call]:
    """A prescription built by ``build`` (a version): its id, and what success looks like."""
    return lambda w: Call({"prescription_id": build(w).prescription.public_id}, **expected)


def _rx_edit(fields, **kwargs) -> Callable[[World], Call]:
    """An edit of the draft: its id, the form ``fields(version)`` (with the revision), any other parameters."""

    def setup(w: World) -> Call:
        version = rx.draft(w)
        return Call({"prescription_id": version.prescription.public_id, **kwargs}, data=fields(version))

    return setup


PAGES: dict[str, Page] = {
    # Anyone: signing in and out, the language, the landing page, the load balancer's probe.
    "": Page("web:home"),
    "healthz": Page("web:healthz"),
    "favicon.ico": Page("web:favicon", setup=lambda w: Call(status=301, to="/static/web/favicon.ico")),
    # Browsers report Content-Security-Policy violations here, signed in or not: logged, answered 204.
    "csp-report/": Page("web:csp_report", method="POST", setup=lambda w: Call(data=b"{}", status=204)),
    "i18n/setlang/": Page(
        "set_language", method="POST", setup=lambda w: Call(data={"language": "en", "next": "/"}, status=302, to="/")
    ),
    "p/sign-in/": Page("accounts:patient_sign_in"),
    "privacy/": Page("accounts:privacy_notice"),
    "staff/sign-in/": Page("accounts:staff_sign_in"),
    # The steps after the password: without a sign-in under way they send the caller back to its start.
    "staff/sign-in/verify/": Page(
        "accounts:staff_sign_in_verify", setup=lambda w: Call(status=302, to="/staff/sign-in/")
    ),
    "sign-out/": Page("accounts:sign_out", method="POST", setup=lambda w: Call(status=302, to="/")),
    # The payment provider's notifications: authenticated by their signature, not by a session.
    "payments/notify/<slug:provider>/": Page(
        "payments:notify", method="POST", setup=lambda w: Call({"provider": "sandbox"}, data=b"{}"), refused=401
    ),
    # Dev and sandbox routes: only when their switch is on (DEBUG turns the dev inbox and the video sandbox
    # on; the cashier exists while the sandbox is the payment provider).
    "dev/sms/": Page("dev:sms_inbox", gate="DEV_INBOX_ENABLED"),
    "dev/totp/": Page("accounts:dev_totp", gate="DEV_INBOX_ENABLED"),
    "dev/his/": Page("dev:his_control", gate="DEV_INBOX_ENABLED"),  # lab results: perform an order in the HIS
    "sandbox/pay/faults/": Page("sandbox_pay:faults", gate="DEV_INBOX_ENABLED"),
    "sandbox/pay/<str:out_trade_no>/": Page("sandbox_pay:cashier", gate="PAYMENT_PROVIDER", setup=_cashier),
    "sandbox/video/v1/meetings/create": Page("sandbox_video:create", method="POST", gate="CLOUD_VIDEO", refused=401),
    "sandbox/video/v1/meetings/get": Page("sandbox_video:get", method="POST", gate="CLOUD_VIDEO", refused=401),
    "sandbox/video/v1/meetings/delete": Page("sandbox_video:delete", method="POST", gate="CLOUD_VIDEO", refused=401),
    "sandbox/video/v1/join/<str:meeting_id>/": Page(
        "sandbox_video:join",
        gate="CLOUD_VIDEO",
        setup=lambda w: Call({"meeting_id": world.sandbox_meeting(w).meeting_id}),
    ),
    # Patients.
    "p/": Page("accounts:patient_home", PATIENT),
    "p/visit-persons/new/": Page("accounts:visit_person_add", PATIENT),
    "p/visit-persons/<uuid:person_id>/": Page(
        "accounts:visit_person_edit",
        PATIENT,
        setup=lambda w: Call({"person_id": world.visit_person(w).public_id}),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/visit-persons/<uuid:person_id>/name/": Page(
        "accounts:visit_person_name",
        PATIENT,
        setup=lambda w: Call({"person_id": world.visit_person(w).public_id}),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/visit-persons/<uuid:person_id>/remove/": Page(
        "accounts:visit_person_remove",
        PATIENT,
        "POST",
        setup=lambda w: Call({"person_id": world.visit_person(w).public_id}, status=302, to="/p/"),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/book/": Page("appointments:find_doctor", PATIENT),
    "p/book/departments/<uuid:department_id>/": Page(
        "appointments:department_doctors",
        PATIENT,
        setup=lambda w: Call({"department_id": world.department(w).public_id}),
    ),
    "p/book/doctors/<uuid:doctor_id>/": Page(
        "appointments:doctor_schedules", PATIENT, setup=lambda w: Call({"doctor_id": world.doctor_profile(w).public_id})
    ),
    "p/book/schedules/<uuid:schedule_id>/": Page(
        "appointments:book", PATIENT, setup=lambda w: Call({"schedule_id": world.schedule(w).public_id})
    ),
    "p/appointments/": Page("appointments:mine", PATIENT),
    "p/appointments/<uuid:appointment_id>/": Page(
        "appointments:detail", PATIENT, setup=_appointment(world.pending), owners=ALICE, intruders=NOT_ALICE
    ),
    "p/appointments/<uuid:appointment_id>/pay/": Page(
        "appointments:pay",
        PATIENT,
        setup=_appointment(world.pending, status=302, to="/sandbox/pay/"),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/appointments/<uuid:appointment_id>/payment/": Page(
        "appointments:payment_wait",
        PATIENT,
        setup=_appointment(world.pending, status=204),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/appointments/<uuid:appointment_id>/cancel/": Page(
        "appointments:cancel",
        PATIENT,
        "POST",
        setup=_cancel,
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/appointments/<uuid:appointment_id>/waiting-room/": Page(
        "consultations:waiting_room", PATIENT, setup=_appointment(world.accepted), owners=ALICE, intruders=NOT_ALICE
    ),
    "p/consultations/<uuid:consultation_id>/answer/": Page(
        "consultations:answer",
        PATIENT,
        "POST",
        setup=_answer,
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/consultations/<uuid:consultation_id>/decline/": Page(
        "consultations:decline",
        PATIENT,
        "POST",
        setup=_decline,
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/consultations/<uuid:consultation_id>/": Page(
        "consultations:patient_room", PATIENT, setup=_consultation(world.in_progress), owners=ALICE, intruders=NOT_ALICE
    ),
    "payments/receipts/": Page("payments:receipts", PATIENT),
    "payments/orders/<uuid:order_id>/": Page(
        "payments:receipt",
        PATIENT,
        setup=lambda w: Call({"order_id": world.pending(w).payment_order_public_id}),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/messages/": Page("notifications:patient_messages", PATIENT),
    "p/messages/read-all/": Page(
        "notifications:patient_mark_all_read", PATIENT, "POST", setup=lambda w: Call(status=302, to="/p/messages/")
    ),
    "p/messages/<uuid:notification_id>/": Page(
        "notifications:patient_open",
        PATIENT,
        setup=lambda w: _notification(w.alice),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    # The booking's patient and its doctor.
    "files/attachments/<uuid:attachment_id>/": Page(
        "appointments:attachment_file",
        PATIENT | DOCTOR,
        setup=lambda w: Call({"attachment_id": world.attachment(w).public_id}),
        owners=ALICE + BOB,
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "consultations/<uuid:consultation_id>/images/": Page(
        "consultations:image_upload",
        PATIENT | DOCTOR,
        "POST",
        setup=_photo_upload,
        owners=ALICE + BOB,
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "consultations/<uuid:consultation_id>/images/<uuid:message_id>/": Page(
        "consultations:image_file",
        PATIENT | DOCTOR | AUDITOR,
        setup=lambda w: Call(world.chat_photo(w)),
        owners=ALICE + BOB + ("auditor",),
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "device-check/": Page("consultations:device_check", PATIENT | CLINICAL),
    # Doctors.
    "staff/review/": Page("appointments:review_queue", DOCTOR),
    "staff/review/<uuid:appointment_id>/": Page(
        "appointments:review_decide",
        DOCTOR,
        "POST",
        setup=_review,
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/desk/": Page("consultations:desk", DOCTOR),
    "staff/desk/queue/": Page("consultations:desk_queue", DOCTOR),
    "staff/desk/call-next/": Page("consultations:call_next", DOCTOR, "POST", setup=_call_next, owners=BOB),
    "staff/consultations/<uuid:consultation_id>/call/": Page(
        "consultations:call",
        DOCTOR,
        "POST",
        setup=_consultation(world.checked_in, **TO_DESK),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/consultations/<uuid:consultation_id>/no-show/": Page(
        "consultations:no_show",
        DOCTOR,
        "POST",
        setup=_consultation(lambda w: world.checked_in(w, confirmed=False), **TO_DESK),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/consultations/<uuid:consultation_id>/": Page(
        "consultations:doctor_room", DOCTOR, setup=_consultation(world.in_progress), owners=BOB, intruders=NOT_BOB
    ),
    "staff/consultations/<uuid:consultation_id>/history/": Page(
        "consultations:doctor_history", DOCTOR, setup=_consultation(world.in_progress), owners=BOB, intruders=NOT_BOB
    ),
    "p/visit-persons/<uuid:visit_person_id>/visits/": Page(
        "consultations:my_visits",
        PATIENT,
        setup=lambda w: Call({"visit_person_id": world.visit_person(w).public_id}),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "staff/consultations/<uuid:consultation_id>/end/": Page(
        "consultations:end",
        DOCTOR,
        "POST",
        setup=_consultation(world.in_progress, **TO_DESK),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/consultations/<uuid:consultation_id>/recordings/": Page(
        "consultations:recording_start",
        DOCTOR,
        "POST",
        setup=_recording_start,
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/consultations/<uuid:consultation_id>/recordings/<uuid:recording_id>/chunks/<int:seq>/": Page(
        "consultations:recording_chunk",
        DOCTOR,
        "POST",
        setup=_recording_chunk,
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/consultations/<uuid:consultation_id>/recordings/<uuid:recording_id>/finish/": Page(
        "consultations:recording_finish",
        DOCTOR,
        "POST",
        setup=lambda w: Call(world.recording(w), data=b""),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    # The consultation's doctor and auditors (a recording is never the patient's to take).
    "consultations/<uuid:consultation_id>/recordings/<uuid:recording_id>/": Page(
        "consultations:recording_file",
        DOCTOR | AUDITOR,
        setup=lambda w: Call(world.recording(w, assembled=True)),
        owners=BOB + ("auditor",),
        intruders=NOT_BOB,
    ),
    # Clinical staff; all staff.
    "staff/confirm-identity/": Page("accounts:confirm_identity", CLINICAL),
    "staff/signing-pin/": Page("signatures:signing_pin", SIGNERS),
    # Medical records: the doctor's editor beside the video (JSON), the patient's records and their PDFs,
    # and the page a PDF's QR code leads to (anyone: it shows the signature's facts, not the record).
    "staff/consultations/<uuid:consultation_id>/record/": Page(
        "records:open", DOCTOR, "POST", setup=_consultation(world.in_progress), owners=BOB, intruders=NOT_BOB
    ),
    "staff/records/<uuid:record_id>/draft/": Page(
        "records:draft_save", DOCTOR, "POST", setup=_record_draft_save, owners=BOB, intruders=NOT_BOB
    ),
    "staff/records/<uuid:record_id>/sign/": Page(
        "records:sign", DOCTOR, "POST", setup=_record_sign, owners=BOB, intruders=NOT_BOB
    ),
    "staff/records/<uuid:record_id>/amend/": Page(
        "records:amend", DOCTOR, "POST", setup=_record(world.record_signed), owners=BOB, intruders=NOT_BOB
    ),
    "staff/records/<uuid:record_id>/templates/": Page(
        "records:template_create", DOCTOR, "POST", setup=_record_template, owners=BOB, intruders=NOT_BOB
    ),
    "staff/record-phrases/": Page(
        "records:phrase_create", DOCTOR, "POST", setup=lambda w: Call(data='{"text": "无发热"}'.encode(), status=201)
    ),
    "staff/icd10/": Page("records:icd_search", DOCTOR),
    # Retiring record templates (their author; a department's also the hospital administrator) and phrases.
    "staff/record-templates/": Page("records:templates_manage", DOCTOR | {"hospital_admin"}),
    "staff/record-templates/<uuid:template_id>/retire/": Page(
        "records:template_retire",
        DOCTOR | {"hospital_admin"},
        "POST",
        setup=lambda w: Call(
            {"template_id": world.record_template(w).public_id}, status=302, to="/staff/record-templates/"
        ),
        owners=BOB + ("admin",),
        intruders=NOT_BOB,
    ),
    "staff/record-phrases/<uuid:phrase_id>/retire/": Page(
        "records:phrase_retire",
        DOCTOR,
        "POST",
        setup=lambda w: Call(
            {"phrase_id": world.record_phrase(w).public_id}, status=302, to="/staff/record-templates/"
        ),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "p/records/": Page("records:mine", PATIENT),
    "records/<uuid:record_id>/": Page(
        "records:detail",
        PATIENT | DOCTOR,
        setup=_record(world.record_signed),
        owners=ALICE + BOB,
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "records/<uuid:record_id>/v<int:number>.pdf": Page(
        "records:pdf",
        PATIENT | DOCTOR,
        setup=lambda w: Call({"record_id": world.record_signed(w).record.public_id, "number": 1}),
        owners=ALICE + BOB,
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "verify/records/<uuid:signature_id>/": Page(
        "records:verify", setup=lambda w: Call({"signature_id": world.record_signed(w).signature.public_id})
    ),
    # Lab results and reports (issue 14): the patient's list, a doctor's list of his patient's reports, a report
    # (page, PDF, key image, trend) for the patient and the doctors who consulted them, the critical-value
    # alert for its doctor; the HIS's push, authenticated by its signature.
    "p/reports/": Page("labs:reports", PATIENT),
    "staff/patients/<uuid:person_id>/reports/": Page(
        "labs:patient_reports",
        DOCTOR,
        setup=lambda w: Call({"person_id": world.report(w).visit_person.public_id}),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "reports/<uuid:report_id>/": Page(
        "labs:report", PATIENT | DOCTOR, setup=_report(), owners=ALICE + BOB, intruders=NOT_ALICE + NOT_BOB
    ),
    "reports/<uuid:report_id>/report.pdf": Page(
        "labs:report_pdf", PATIENT | DOCTOR, setup=_report(), owners=ALICE + BOB, intruders=NOT_ALICE + NOT_BOB
    ),
    "reports/<uuid:report_id>/images/<int:position>.png": Page(
        "labs:report_image",
        PATIENT | DOCTOR,
        setup=_report(kind="exam", position=0),
        owners=ALICE + BOB,
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "reports/<uuid:report_id>/trend/<str:code>/": Page(
        "labs:report_trend",
        PATIENT | DOCTOR,
        setup=_report(code="HbA1c"),
        owners=ALICE + BOB,
        intruders=NOT_ALICE + NOT_BOB,
    ),
    "staff/critical-alerts/<uuid:alert_id>/": Page(
        "labs:critical_alert",
        DOCTOR,
        setup=lambda w: Call({"alert_id": world.critical_alert(w).public_id}),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "his/push/reports/": Page("labs:push_reports", method="POST", setup=lambda w: Call(data=b"{}"), refused=401),
    "staff/": Page("web:staff_home", STAFF),
    "staff/security/": Page("accounts:staff_security", STAFF),
    "staff/sessions/": Page("accounts:staff_sessions", STAFF),
    # A signed-in staff member changes their password here; someone signing in with an expired one too.
    "staff/password/": Page("accounts:staff_password", STAFF),
    "staff/messages/": Page("notifications:staff_messages", STAFF),
    "staff/messages/read-all/": Page(
        "notifications:staff_mark_all_read", STAFF, "POST", setup=lambda w: Call(status=302, to="/staff/messages/")
    ),
    "staff/messages/<uuid:notification_id>/": Page(
        "notifications:staff_open",
        STAFF,
        setup=lambda w: _notification(w.dr_bob),
        owners=BOB,
        intruders=NOT_BOB + ("carol", "admin", "auditor"),
    ),
    # Auditors: every consultation is theirs to read.
    "staff/audit/consultations/": Page("consultations:audit_list", AUDITOR),
    "staff/audit/consultations/<uuid:consultation_id>/": Page(
        "consultations:audit_detail", AUDITOR, setup=_consultation(world.in_progress)
    ),
    # The hospital administrator's back-office pages.
    "staff/schedules/week/": Page("scheduling:schedule_week", frozenset({"hospital_admin"})),
    "payments/staff/reconciliation/": Page("payments:his_mismatches", frozenset({"hospital_admin"})),
    "payments/staff/reconciliation/<uuid:mismatch_id>/resolve/": Page(
        "payments:his_mismatch_resolve",
        frozenset({"hospital_admin"}),
        "POST",
        setup=lambda w: Call(
            {"mismatch_id": world.his_mismatch(w).public_id},
            data={"note": "checked with the cashier"},
            status=302,
            to="/payments/staff/reconciliation/",
        ),
    ),
    # Every signed-in person: the doctors' portraits.
    "doctors/<uuid:doctor_id>/photo": Page(
        "scheduling:doctor_photo", ALL_ROLES, setup=lambda w: Call({"doctor_id": world.doctor_photo(w).public_id})
    ),
    # Fulfilment (issue 13): the courier's route updates, authenticated by their signature; its sandbox's page.
    "fulfilment/courier/callback/": Page(
        "fulfilment:courier_callback", method="POST", setup=lambda w: Call(data=b"{}"), refused=401
    ),
    "sandbox/courier/": Page("sandbox_courier:console", gate="DEV_INBOX_ENABLED"),
    # The patient's address book.
    "p/addresses/": Page("fulfilment:addresses", PATIENT),
    "p/addresses/new/": Page("fulfilment:address_add", PATIENT),
    "p/addresses/<uuid:address_id>/": Page(
        "fulfilment:address_edit",
        PATIENT,
        setup=lambda w: Call({"address_id": world.address(w).public_id}),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/addresses/<uuid:address_id>/remove/": Page(
        "fulfilment:address_retire",
        PATIENT,
        "POST",
        setup=lambda w: Call({"address_id": world.address(w).public_id}, status=302, to="/p/addresses/"),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    # Lab tests and exams (issue 14): the doctor orders beside the consultation, the patient pays, books a
    # time, shows the check-in code and may cancel; the nurse checks in at the desk and marks it performed.
    "staff/consultations/<uuid:consultation_id>/lab-orders/": Page(
        "labs:order_new", DOCTOR, setup=_consultation(world.in_progress), owners=BOB, intruders=NOT_BOB
    ),
    "staff/lab-orders/<uuid:order_id>/cancel/": Page(
        "labs:order_cancel", DOCTOR, "POST", setup=_lab_withdraw, owners=BOB, intruders=NOT_BOB
    ),
    "staff/lab-checkin/": Page("labs:checkin", NURSE),
    "staff/lab-orders/<uuid:order_id>/performed/": Page(
        "labs:performed",
        NURSE,
        "POST",
        setup=_lab_order(world.lab_order_checked_in, status=302, to="/staff/lab-checkin/"),
    ),
    "p/lab-orders/": Page("labs:mine", PATIENT),
    "p/lab-orders/<uuid:order_id>/": Page(
        "labs:detail",
        PATIENT,
        setup=_lab_order(lambda w: world.lab_orders(w)["exam"]),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/lab-orders/<uuid:order_id>/pay/": Page(
        "labs:pay",
        PATIENT,
        "POST",
        setup=_lab_order(lambda w: world.lab_orders(w)["lab"], status=302, to="/sandbox/pay/"),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/lab-orders/<uuid:order_id>/payment-wait/": Page(
        "labs:payment_wait",
        PATIENT,
        setup=_lab_order(lambda w: world.lab_orders(w)["lab"], status=204),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/lab-orders/<uuid:order_id>/book/": Page(
        "labs:book", PATIENT, "POST", setup=_lab_book, owners=ALICE, intruders=NOT_ALICE
    ),
    "p/lab-orders/<uuid:order_id>/cancel/": Page(
        "labs:cancel", PATIENT, "POST", setup=_lab_cancel, owners=ALICE, intruders=NOT_ALICE
    ),
    "p/lab-orders/<uuid:order_id>/checkin.svg": Page(
        "labs:checkin_qr", PATIENT, setup=_lab_order(world.lab_order_paid), owners=ALICE, intruders=NOT_ALICE
    ),
    # Prescriptions: the doctor's writer (htmx partials), reading them, the pharmacists' review, review times.
    "staff/consultations/<uuid:consultation_id>/prescription/": Page(
        "prescriptions:write", DOCTOR, setup=_consultation(world.in_progress), owners=BOB, intruders=NOT_BOB
    ),
    "staff/consultations/<uuid:consultation_id>/prescription/open/": Page(
        "prescriptions:open",
        DOCTOR,
        "POST",
        setup=_consultation(rx.consultation_with_record),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/<uuid:prescription_id>/items/": Page(
        "prescriptions:item_add",
        DOCTOR,
        "POST",
        setup=_rx_edit(lambda v: rx.item_fields(v)),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/<uuid:prescription_id>/items/<int:position>/": Page(
        "prescriptions:item_change",
        DOCTOR,
        "POST",
        setup=_rx_edit(lambda v: rx.item_fields(v), position=1),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/<uuid:prescription_id>/items/<int:position>/remove/": Page(
        "prescriptions:item_remove",
        DOCTOR,
        "POST",
        setup=_rx_edit(lambda v: {"revision": str(v.revision)}, position=1),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/<uuid:prescription_id>/item-form/": Page(
        "prescriptions:item_form", DOCTOR, setup=_rx(rx.draft), owners=BOB, intruders=NOT_BOB
    ),
    "staff/prescriptions/<uuid:prescription_id>/facts/": Page(
        "prescriptions:facts",
        DOCTOR,
        "POST",
        setup=_rx_edit(lambda v: {"revision": str(v.revision), "weight_kg": "60"}),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/<uuid:prescription_id>/check/": Page(
        "prescriptions:check", DOCTOR, setup=_rx(rx.draft), owners=BOB, intruders=NOT_BOB
    ),
    "staff/prescriptions/<uuid:prescription_id>/submit/": Page(
        "prescriptions:submit",
        DOCTOR,
        "POST",
        setup=_rx_edit(lambda v: {"revision": str(v.revision), "pin": rx.PIN}),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/<uuid:prescription_id>/revise/": Page(
        "prescriptions:revise", DOCTOR, "POST", setup=_rx(rx.rejected), owners=BOB, intruders=NOT_BOB
    ),
    "staff/drugs/": Page("prescriptions:drug_search", DOCTOR),
    "staff/prescriptions/<uuid:prescription_id>/": Page(
        "prescriptions:detail",
        DOCTOR | frozenset({"pharmacist"}),
        setup=_rx(rx.submitted),
        owners=BOB + ("carol",),
        intruders=NOT_BOB,
    ),
    "staff/prescriptions/review/": Page("prescriptions:review_queue", frozenset({"pharmacist"})),
    "staff/prescriptions/review/rows/": Page("prescriptions:review_queue_rows", frozenset({"pharmacist"})),
    "staff/prescriptions/review-times/": Page("prescriptions:review_times", frozenset({"hospital_admin"})),
    "staff/prescriptions/<uuid:prescription_id>/approve/": Page(
        "prescriptions:approve",
        frozenset({"pharmacist"}),
        "POST",
        setup=_rx(rx.submitted, data={"pin": rx.PIN}, status=302, to="/staff/prescriptions/review/"),
    ),
    "staff/prescriptions/<uuid:prescription_id>/reject/": Page(
        "prescriptions:reject",
        frozenset({"pharmacist"}),
        "POST",
        setup=_rx(
            rx.submitted,
            data={"reason": "dose", "comment": "请核对剂量"},
            status=302,
            to="/staff/prescriptions/review/",
        ),
    ),
    # Prescriptions as the patient pays and follows them, the pharmacy console, the doctor's void (issue 13).
    "p/prescriptions/": Page("fulfilment:prescriptions", PATIENT),
    "p/prescriptions/<uuid:prescription_id>/": Page(
        "fulfilment:prescription",
        PATIENT,
        setup=lambda w: Call({"prescription_id": world.prescription_released(w).public_id}),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/prescriptions/<uuid:prescription_id>/choose/": Page(
        "fulfilment:choose",
        PATIENT,
        "POST",
        setup=lambda w: Call(
            {"prescription_id": world.prescription_released(w).public_id},
            data={"method": "pickup", "pharmacy": world.pickup_pharmacy(w).public_id},
            status=302,
            to="/p/prescriptions/",
        ),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "p/prescriptions/<uuid:prescription_id>/pay/": Page(
        "fulfilment:pay",
        PATIENT,
        "POST",
        setup=lambda w: Call(
            {"prescription_id": world.prescription_chosen(w).public_id}, status=302, to="/sandbox/pay/"
        ),
        owners=ALICE,
        intruders=NOT_ALICE,
    ),
    "staff/pharmacy/": Page("fulfilment:console", frozenset({"pharmacist"})),
    "staff/pharmacy/pickup/": Page("fulfilment:pickup", frozenset({"pharmacist"})),
    "staff/pharmacy/<uuid:prescription_id>/<slug:action>/": Page(
        "fulfilment:act",
        frozenset({"pharmacist"}),
        "POST",
        setup=lambda w: Call(
            {"prescription_id": world.prescription_paid(w).public_id, "action": "dispense"},
            data={"state": "paid"},
            status=302,
            to="/staff/pharmacy/",
        ),
    ),
    "staff/prescriptions/<uuid:prescription_id>/void/": Page(
        "fulfilment:void",
        DOCTOR,
        setup=lambda w: Call({"prescription_id": world.prescription_released(w).public_id}),
        owners=BOB,
        intruders=NOT_BOB,
    ),
    # The QR code's page on a prescription: anyone may check a signature (never the drugs).
    "verify/prescriptions/<uuid:signature_id>/": Page(
        "fulfilment:verify",
        setup=lambda w: Call(
            {"signature_id": world.prescription_released(w).versions.get().doctor_signature.public_id}
        ),
    ),
}
