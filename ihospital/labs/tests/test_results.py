"""Results back from the HIS: pushed (signed, through the inbound endpoint) or fetched, each report applied
once; values with units; key images fetched, checked and rendered; critical values alert the ordering
doctor and tell the patient; in-person reports from the HIS report list."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.test import Client

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.integrations.his import base, push
from ihospital.integrations.his.simulated import relay
from ihospital.labs.models import CriticalAlert, KeyImage, LabOrder, Report, ResultValue
from ihospital.labs.services import critical_alert_acknowledge, report_apply, report_fetch, reports_sync
from ihospital.labs.tests.factories import pay, place
from ihospital.notifications.models import Notification

PUSH_URL = "/his/push/reports/"


@pytest.fixture
def orders(signed_record, in_progress, dr_bob, alice, commit):
    """alice's paid orders from dr_bob: liver function + HbA1c (lab), a urinary ultrasound (exam)."""
    placed = place(dr_bob, in_progress, commit)
    lab, exam = sorted(placed, key=lambda order: order.kind != "lab")
    return pay(lab, alice, commit), pay(exam, alice, commit)


def audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_report_pushed_twice_is_applied_once_and_moves_the_order_to_reported(orders, his_sim, commit):
    lab, _exam = orders
    his_sim.perform(lab.his_request_no, "abnormal")
    with commit():
        assert relay.push_pending(his_sim, copies=2) == relay.Pushed(delivered=1, failed=0)
    report = Report.objects.get(order=lab)
    assert (report.source, report.kind, report.received_via, report.abnormal) == ("online", "lab", "push", True)
    values = list(report.values.all())
    assert [v.code for v in values] == ["ALT", "AST", "TBIL", "ALB", "HbA1c"]
    assert all(v.unit and v.numeric is not None and v.reference_text for v in values)
    assert values[0].flag == "H" and values[4].reference_low == 4 and values[4].reference_high == 6
    lab.refresh_from_db()
    assert lab.status == LabOrder.Status.REPORTED and lab.performed_at and lab.reported_at  # performed on the way
    assert audits("report.received") == 1 and audits("report.duplicate") == 1
    assert Notification.objects.filter(kind="report.ready", user=lab.visit_person.account).count() == 1


def test_a_fetch_after_the_push_and_a_late_duplicate_change_nothing(orders, his_sim, commit):
    lab, _exam = orders
    his_sim.perform(lab.his_request_no, "normal")
    pushed = report_fetch(order=lab)  # the fetch comes first this time
    assert pushed.created and pushed.report.received_via == "fetch"
    with commit():
        relay.push_pending(his_sim)  # the push arrives after: the same report
    lab_report = his_sim_report(lab)
    again = report_apply(report=lab_report, via="push")  # and an old redelivery after that
    assert not again.created and again.report.pk == pushed.report.pk
    assert Report.objects.count() == 1 and ResultValue.objects.count() == 5
    assert audits("report.duplicate") == 2 and audits("lab_order.reported") == 1


def his_sim_report(order):
    from ihospital.integrations import his

    return his.client().lab_results(base.ExamOrderQuery(request_no=order.his_request_no))


def lab_report(**changes):
    item = base.ResultItem(code="GLU", name="葡萄糖", value="5.1", unit="mmol/L", reference_range="3.9-6.1", flag="N")
    values = {
        "request_no": "SQ9999999999",
        "report_no": "JYBG9999999999",
        "reported_at": datetime(2026, 12, 1, 2, tzinfo=UTC),
        "items": (item,),
        "title": "空腹血糖",
    }
    return base.LabReport(**{**values, **changes})


def signed_push(body: bytes, secret: str) -> dict:
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in push.signed_headers(secret, body).items()}


def test_a_pushed_result_for_an_unknown_order_is_refused_logged_and_audited(db, settings, caplog):
    body = push.body_of(1, "lab", lab_report())
    with caplog.at_level(logging.WARNING, logger="ihospital.labs.results"):
        answer = Client().post(
            PUSH_URL, body, content_type="application/json", **signed_push(body, settings.HIS_PUSH_SECRET)
        )
    assert answer.status_code == 404 and answer.json()["code"] == "report.unknown_order"
    assert "report.unknown_order" in caplog.text
    assert Report.objects.count() == 0 and audits("report.refused") == 1


def test_a_number_without_its_unit_is_refused_whole(orders, settings):
    lab, _exam = orders
    bare = base.ResultItem(code="GLU", name="葡萄糖", value="5.1", unit="", reference_range="3.9-6.1", flag="N")
    with pytest.raises(DomainError) as refused:
        report_apply(report=lab_report(request_no=lab.his_request_no, items=(bare,)), via="push")
    assert refused.value.code == "report.value_without_unit"
    assert Report.objects.count() == 0 and ResultValue.objects.count() == 0 and audits("report.refused") == 1
    lab.refresh_from_db()
    assert lab.status == LabOrder.Status.PAID


def test_a_qualitative_result_needs_no_unit(orders):
    lab, _exam = orders
    negative = base.ResultItem(
        code="U-PRO", name="尿蛋白", value="阴性(-)", unit="", reference_range="阴性(-)", flag="N"
    )
    applied = report_apply(report=lab_report(request_no=lab.his_request_no, items=(negative,)), via="push")
    assert applied.created and applied.report.values.get().numeric is None


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [("signature", 401, "push.bad_signature"), ("replay", 409, "push.replayed"), ("body", 400, "push.unreadable")],
)
def test_a_push_badly_signed_replayed_or_unreadable_is_refused(db, settings, tamper, status, code):
    body = b'{"kind": "blood"}' if tamper == "body" else push.body_of(1, "lab", lab_report())
    headers = signed_push(body, "another secret" if tamper == "signature" else settings.HIS_PUSH_SECRET)
    client = Client()
    if tamper == "replay":
        client.post(PUSH_URL, body, content_type="application/json", **headers)
    answer = client.post(PUSH_URL, body, content_type="application/json", **headers)
    assert answer.status_code == status and answer.json()["code"] == code
    assert Report.objects.count() == 0


def test_an_exam_report_brings_its_key_images_checked_and_rendered(orders, his_sim, commit, alice):
    _lab, exam = orders
    his_sim.perform(exam.his_request_no, "abnormal")
    with commit():
        relay.push_pending(his_sim)
    report = Report.objects.get(order=exam)
    assert report.kind == "exam" and "脂肪肝" in report.impression and report.reporting_physician
    image = report.images.get()
    assert image.status == KeyImage.Status.STORED and image.stored_at
    assert image.dicom.read()[128:132] == b"DICM" and image.rendered.read()[:8] == b"\x89PNG\r\n\x1a\n"
    client = Client()
    client.force_login(alice)
    answer = client.get(f"/reports/{report.public_id}/images/0.png")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert audits("report.image_read") == 1


def test_an_oversized_key_image_is_refused_logged_and_audited_and_the_report_kept(
    orders, his_sim, commit, settings, caplog
):
    settings.LABS_DICOM_MAX_BYTES = 10_000
    _lab, exam = orders
    his_sim.perform(exam.his_request_no, "normal")
    with caplog.at_level(logging.WARNING), commit():
        relay.push_pending(his_sim)
    image = KeyImage.objects.get()
    assert image.status == KeyImage.Status.FAILED and image.error_code == "dicom.too_large" and not image.rendered
    assert "dicom.too_large" in caplog.text and audits("report.image_refused") == 1
    assert Report.objects.filter(order=exam).exists()


def test_a_critical_value_alerts_the_ordering_doctor_and_tells_the_patient(orders, his_sim, commit, dr_bob, alice):
    lab, _exam = orders
    his_sim.perform(lab.his_request_no, "critical")
    with commit():
        relay.push_pending(his_sim)
    report = Report.objects.get(order=lab)
    assert report.critical and report.values.get(code="TBIL").flag == "HH"
    alert = CriticalAlert.objects.get(report=report)
    assert alert.doctor == dr_bob and alert.status == "open" and "总胆红素" in alert.summary
    doctor_note = Notification.objects.get(user=dr_bob, kind="report.critical_alert")
    assert doctor_note.link == f"/staff/critical-alerts/{alert.public_id}/"
    patient_note = Notification.objects.get(user=alice, kind="report.critical")
    assert "医院" in patient_note.body and not Notification.objects.filter(kind="report.ready").exists()
    sms = [m.payload["text"] for m in OutboxMessage.objects.filter(topic="sms.send")]
    assert any("急诊" in text for text in sms)  # the patient by SMS (and the doctor, when his phone is known)

    critical_alert_acknowledge(alert=alert, doctor=dr_bob, note="已电话通知患者急诊就诊", actor=Actor.of(dr_bob))
    acknowledged = AuditEvent.objects.get(action="report.critical_acknowledged")
    assert acknowledged.details["note"] == "已电话通知患者急诊就诊" and acknowledged.actor_name == dr_bob.username
    with pytest.raises(DomainError) as twice:
        critical_alert_acknowledge(alert=alert, doctor=dr_bob, note="again", actor=Actor.of(dr_bob))
    assert twice.value.code == "report.already_acknowledged"


def test_the_doctor_acknowledges_from_the_alert_page_and_nobody_else_sees_it(orders, his_sim, commit, dr_bob, dr_erin):
    lab, _exam = orders
    his_sim.perform(lab.his_request_no, "critical")
    with commit():
        relay.push_pending(his_sim)
    alert = CriticalAlert.objects.get()
    url = f"/staff/critical-alerts/{alert.public_id}/"
    erin = Client()
    erin.force_login(dr_erin)
    assert erin.get(url).status_code == 404
    bob = Client()
    bob.force_login(dr_bob)
    assert "总胆红素" in bob.get(url).content.decode()
    assert bob.post(url, {"note": "已通知"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.note == "已通知"


def test_in_person_reports_come_from_the_his_report_list_once(db, alice, commit):
    from ihospital.appointments.tests.factories import visit_person

    person = visit_person(alice, 5)
    type(person).objects.filter(pk=person.pk).update(his_patient_id="00000001")  # the seeded alice in the HIS
    person.refresh_from_db()
    with commit():
        assert reports_sync(person=person, force=True) == 14
    assert reports_sync(person=person, force=True) == 0
    reports = Report.objects.filter(visit_person=person)
    assert {r.source for r in reports} == {"in_person"} and reports.filter(kind="exam").count() == 2
    ct = reports.get(title="胸部CT平扫")
    assert ct.images.get().status == KeyImage.Status.STORED
    assert not Notification.objects.filter(kind__startswith="report.").exists()
