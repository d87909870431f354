"""The personas and the objects the authorization matrix builds for them: alice's bookings with dr_bob in
every state a route needs, and what hangs off them (attachments, chat photos, recordings, messages)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from io import BytesIO

import pikepdf
from django.core.files.base import ContentFile
from PIL import Image

from ihospital.audit.services import Actor


class World:
    """The personas, made on first use by their fixtures (alice, mallory, dr_bob, dr_erin, carol, nina,
    admin, secadmin, auditor), for the builders below."""

    def __init__(self, request) -> None:
        self._request = request

    def __getattr__(self, persona: str):
        return self._request.getfixturevalue(persona)

    def commit(self):
        """Run what the block schedules on commit (payment notifications, check-in pushes) at its end."""
        return self._request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True)


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 6), "navy").save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    out = BytesIO()
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(out)
    return out.getvalue()


def visit_person(w: World):
    from ihospital.appointments.tests.factories import visit_person

    return visit_person(w.alice, 77)


def schedule(w: World):
    from ihospital.appointments.tests.factories import online_schedule

    return online_schedule(w.dr_bob)


def department(w: World):
    from ihospital.appointments.tests.factories import department

    return department()


def doctor_profile(w: World):
    from ihospital.appointments.tests.factories import doctor_profile

    return doctor_profile(w.dr_bob)


def pending(w: World):
    """alice's booking with dr_bob, awaiting payment."""
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person

    data = booking(visit_person(w.alice, 78), online_schedule(w.dr_bob))
    return appointment_book(account=w.alice, data=data, actor=Actor.system())


def attachment(w: World):
    from ihospital.appointments.services import appointment_attach

    return appointment_attach(appointment=pending(w), name="r.pdf", data=pdf(), actor=Actor.system())


def checked_out(w: World):
    """A booking sent to the (sandbox) cashier: its trade exists there."""
    from ihospital.appointments.services import appointment_checkout

    appointment = pending(w)
    appointment_checkout(appointment=appointment, actor=Actor.system())
    return appointment


def requested(w: World):
    """Paid, waiting for dr_bob's review."""
    from ihospital.integrations.payproviders.sandbox import trades

    appointment = checked_out(w)
    with w.commit():
        trades.pay(payment_order(appointment).out_trade_no)
    return appointment


def payment_order(appointment):
    from ihospital.payments.models import PaymentOrder

    return PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)


def accepted(w: World):
    """Paid and accepted; its slot starts in 10 minutes (the waiting room is open)."""
    from ihospital.consultations.tests.conftest import accepted_booking

    return accepted_booking(w.alice, w.dr_bob, w.commit)


def checked_in(w: World, *, confirmed: bool = True):
    """alice waits in dr_bob's queue; unless told otherwise, dr_bob has passed the identity re-check."""
    from ihospital.accounts.identity import staff_identity_confirm
    from ihospital.consultations.tests.conftest import checked_in
    from ihospital.core.testing.personas import PASSWORD

    if confirmed:
        staff_identity_confirm(user=w.dr_bob, password=PASSWORD, actor=Actor.of(w.dr_bob))
    return checked_in(accepted(w), w.commit)


def calling(w: World):
    from ihospital.consultations.services import consultation_call

    consultation = checked_in(w)
    with w.commit():
        consultation_call(doctor=w.dr_bob, consultation=consultation, actor=Actor.of(w.dr_bob))
    return consultation


def in_progress(w: World):
    from ihospital.consultations.services import consultation_answer

    consultation = calling(w)
    with w.commit():
        consultation_answer(patient=w.alice, consultation=consultation, actor=Actor.of(w.alice))
    consultation.refresh_from_db()
    return consultation


def recording(w: World, *, assembled: bool = False) -> dict:
    """A take of an ongoing consultation with its first chunk: the URL parameters naming it."""
    from ihospital.consultations.services import recording_assemble, recording_chunk_add, recording_start
    from ihospital.consultations.tests.test_recording import cluster, stream

    consultation = in_progress(w)
    take = recording_start(doctor=w.dr_bob, consultation=consultation, mime_type="video/webm", actor=Actor.of(w.dr_bob))
    recording_chunk_add(recording=take, seq=0, data=stream(cluster(0, 0, 400)))
    if assembled:
        recording_assemble(recording_pk=take.pk)
    return {"consultation_id": consultation.public_id, "recording_id": take.public_id}


def chat_photo(w: World) -> dict:
    """A photo alice sent in an ongoing consultation: the URL parameters naming it."""
    from ihospital.consultations.services import message_image_post

    consultation = in_progress(w)
    message = message_image_post(
        sender=w.alice, consultation=consultation, name="p.png", data=png(), actor=Actor.of(w.alice)
    )
    return {"consultation_id": consultation.public_id, "message_id": message.public_id}


def notification(user):
    from ihospital.notifications.services import notification_send

    return notification_send(user=user, kind="test", title="t", body="b")


def doctor_photo(w: World):
    profile = doctor_profile(w)
    profile.photo.save("bob.png", ContentFile(png()))
    return profile


def sandbox_meeting(w: World):
    from ihospital.integrations.video.sandbox import meetings

    new = meetings.NewMeeting(
        topic="t", host_name="h", starts_at=datetime.now(UTC), duration_minutes=30, request_id="matrix"
    )
    return meetings.create(org_id="sandbox-org", new=new)


def signature(w: World):
    """A record signed by dr_bob (the built-in CA issued his certificate; his PIN is set)."""
    from ihospital.signatures import services

    services.ca_setup(actor=Actor.system("matrix"))
    services.signing_pin_set(holder=w.dr_bob, current_pin=None, new_pin="246810", actor=Actor.system("matrix"))
    return services.document_sign(
        signer=w.dr_bob,
        document_type="medical_record",
        document_id="6f1c1a52-2d0b-4d55-9d4e-0c7f2a0e5b11",
        payload={"chief_complaint": "头痛"},
        pin="246810",
        actor=Actor.system("matrix"),
    )


def his_mismatch(w: World):
    """A difference the reconciliation with the HIS found, not yet resolved."""
    from ihospital.core.time import now
    from ihospital.payments.models import HisMismatch

    return HisMismatch.objects.create(
        day=now().date(), kind="charge", reference="walk-in-1", problem="missing_here", his_fen=1200
    )


def record_draft(w: World):
    """alice's consultation with dr_bob, in progress, with its record's draft written (a diagnosis too)."""
    from ihospital.records.services import RecordContent, record_draft_save, record_open

    consultation = in_progress(w)
    draft = record_open(doctor=w.dr_bob, consultation=consultation, actor=Actor.of(w.dr_bob))
    content = RecordContent(chief_complaint="咳嗽三天", diagnoses=["J06.9"])
    return record_draft_save(
        doctor=w.dr_bob, version=draft, content=content, revision=draft.revision, actor=Actor.of(w.dr_bob)
    )


def signing_ready(w: World) -> None:
    """The built-in CA issued dr_bob's certificate and his signing PIN is 246810."""
    from ihospital.signatures import services

    services.ca_setup(actor=Actor.system("matrix"))
    services.signing_pin_set(holder=w.dr_bob, current_pin=None, new_pin="246810", actor=Actor.system("matrix"))


def record_signed(w: World):
    """alice's record of her consultation with dr_bob, version 1 signed by him."""
    from ihospital.records.services import record_sign

    draft = record_draft(w)
    signing_ready(w)
    with w.commit():
        return record_sign(
            doctor=w.dr_bob, version=draft, revision=draft.revision, pin="246810", actor=Actor.of(w.dr_bob)
        )


def address(w: World):
    """An address in alice's address book (issue 13)."""
    from ihospital.fulfilment import services

    data = services.AddressInput(
        recipient="艾丽斯",
        phone="13800000001",
        province="上海市",
        city="上海市",
        district="徐汇区",
        detail="宛平南路 600 号",
    )
    return services.address_create(account=w.alice, data=data, actor=Actor.of(w.alice))


def lab_orders(w: World) -> dict:
    """dr_bob's signed orders for alice (liver function + HbA1c; a urinary ultrasound), by kind, unpaid."""
    from ihospital.labs.services import OrderInput, lab_orders_place

    consultation = record_signed(w).record.consultation
    data = OrderInput(
        request_id=uuid.uuid4(),
        item_codes=("JY0004", "JC0010"),
        clinical_question="复查",
        diagnosis_code="J06.9",
    )
    with w.commit():
        orders = lab_orders_place(
            doctor=w.dr_bob, consultation=consultation, data=data, pin="246810", actor=Actor.of(w.dr_bob)
        )
    return {order.kind: order for order in orders}


def lab_order_paid(w: World, kind: str = "exam"):
    """One of alice's orders, paid through the payment sandbox."""
    from ihospital.labs.tests.factories import pay

    order = lab_orders(w)[kind]
    return pay(order, w.alice, w.commit)


def exam_session(w: World):
    """An open ultrasound session the day after tomorrow with places left."""
    from ihospital.labs.tests.factories import room, session

    return session(room())


def lab_order_checked_in(w: World):
    """alice's paid lab order, checked in by nina at the desk."""
    from ihospital.labs.services import lab_order_check_in

    order = lab_order_paid(w, "lab")
    return lab_order_check_in(staff=w.nina, code=order.checkin_code, actor=Actor.of(w.nina))


def record_template(w: World):
    """dr_bob's record template shared with his department (cardiology)."""
    from ihospital.appointments.tests.factories import doctor_profile
    from ihospital.records.services import RecordContent, template_create

    department = doctor_profile(w.dr_bob).departments.get()
    content = RecordContent(treatment_advice="多饮水，注意休息。", diagnoses=["J06.9"])
    return template_create(
        doctor=w.dr_bob, name="上感", content=content, department=department, actor=Actor.of(w.dr_bob)
    )


def record_phrase(w: World):
    """One of dr_bob's common phrases."""
    from ihospital.records.services import phrase_create

    return phrase_create(doctor=w.dr_bob, text="无发热", actor=Actor.of(w.dr_bob))


def prescription_released(w: World):
    """alice's prescription from her consultation with dr_bob, signed by him and by carol, released (issue 13)."""
    from ihospital.fulfilment.services import pharmacies_sync
    from ihospital.fulfilment.tests.builders import released_prescription
    from ihospital.signatures import services

    version = record_signed(w)
    services.credential_issue(holder=w.carol, actor=Actor.system("matrix"))
    services.signing_pin_set(holder=w.carol, current_pin=None, new_pin="246810", actor=Actor.system("matrix"))
    pharmacies_sync(actor=Actor.system("matrix"))
    return released_prescription(version.record.consultation, version, w.dr_bob, w.carol)


def prescription_chosen(w: World):
    """The released prescription, to be picked up at the first pickup pharmacy."""
    from ihospital.fulfilment import selectors, services

    rx = prescription_released(w)
    pharmacy = selectors.pickup_pharmacies().first()
    services.fulfilment_choose(
        prescription=rx, method="pickup", address=None, pharmacy=pharmacy, actor=Actor.of(w.alice)
    )
    return rx


def prescription_paid(w: World):
    """The prescription paid and transferred to the HIS pharmacy (on commit), waiting to be dispensed."""
    from ihospital.fulfilment import services

    rx = prescription_chosen(w)
    order = services.prescription_pay(prescription=rx, payer=w.alice, actor=Actor.of(w.alice))
    with w.commit():
        services.prescription_paid(prescription_public_id=str(rx.public_id), order_public_id=str(order.public_id))
    return rx


def pickup_pharmacy(w: World):
    from ihospital.fulfilment import selectors

    return selectors.pickup_pharmacies().first()


def report(w: World, *, kind: str = "lab"):
    """alice's in-person report (an HbA1c, repeated: a trend; or a CT with a stored key image), of the visit
    person dr_bob has consulted."""
    from decimal import Decimal

    from ihospital.core.time import now
    from ihospital.labs.models import KeyImage, Report, ResultValue

    person = in_progress(w).appointment.visit_person
    made = []
    for number in (1, 2):
        row = Report.objects.create(
            visit_person=person,
            source="in_person",
            kind=kind,
            his_report_no=f"{kind}-{person.pk}-{number}",
            his_request_no=f"SQ{number}",
            title="糖化血红蛋白" if kind == "lab" else "胸部CT平扫",
            reported_at=datetime(2026, number, 1, tzinfo=UTC),
            received_at=now(),
            received_via="fetch",
        )
        if kind == "lab":
            ResultValue.objects.create(
                report=row, position=0, code="HbA1c", name="糖化血红蛋白", value="6.8", numeric=Decimal("6.8"),
                unit="%", reference_text="4-6", reference_low=4, reference_high=6, flag="H",
            )  # fmt: skip
        else:
            image = KeyImage(report=row, position=0, image_uid=f"1.2.3.{person.pk}.{number}", status="stored")
            image.rendered.save("0.png", ContentFile(png()), save=False)
            image.save()
        made.append(row)
    return made[-1]


def critical_alert(w: World):
    from ihospital.core.time import now
    from ihospital.labs.models import CriticalAlert

    return CriticalAlert.objects.create(
        report=report(w), doctor=w.dr_bob, summary="血钾 6.8 mmol/L (HH)", created_at=now()
    )
