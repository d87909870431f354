"""LIS/PACS reports through both clients (the in-process sandbox and the soap client via the gateway):
values with units, reference ranges and flags (critical on demand), exam reports with key images as real
DICOM files, the patient's report list with in-person visits, and the signed push of released reports."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ihospital.core.files.dicom import dicom_check
from ihospital.integrations.his import base, push
from ihospital.integrations.his.simulated import relay
from ihospital.integrations.his.simulated.common import Refusal

pytestmark = pytest.mark.django_db


def order(his_client, settings, items=("JY0001", "JC0002"), txn="SQ-R-1"):
    settings.HIS_SIM_REPORT_DELAY_SECONDS = 3600  # nothing is reported by the clock: the test performs it
    request = base.ExamOrderRequest(
        transaction_id=txn,
        patient_id="00000001",
        doctor_code="dr_bob",
        item_codes=items,
        clinical_note="",
        reference="o-1",
    )
    return his_client.place_exam_order(request)


def test_a_performed_order_has_a_lab_report_and_an_exam_report_with_key_images(his_client, his_sim, settings):
    placed = order(his_client, settings)
    made = his_sim.perform(placed.request_no, "abnormal")
    assert [kind for kind, _no in made] == ["lab", "exam"]
    query = base.ExamOrderQuery(request_no=placed.request_no)
    lab = his_client.lab_results(query)
    assert lab.patient_id == "00000001" and lab.origin == "online" and lab.reviewing_physician
    assert all(item.unit and item.reference_range for item in lab.items)
    assert lab.items[0].flag == "H" and {item.flag for item in lab.items[1:]} == {"N"}
    exam = his_client.exam_report(query)
    assert exam.modality == "CT" and "结节" in exam.impression and not exam.critical
    assert exam.reporting_physician and len(exam.key_images) == 1
    image = his_client.exam_image(base.ExamImageQuery(report_no=exam.report_no, image_uid=exam.key_images[0].image_uid))
    content = base64.b64decode(image.content_base64)
    info = dicom_check(content, max_bytes=10_000_000)
    assert (
        image.size == len(content) and info.sop_instance_uid == exam.key_images[0].image_uid and info.modality == "CT"
    )


def test_a_critical_value_is_flagged_hh_or_ll_and_a_critical_exam_is_marked(his_client, his_sim, settings):
    placed = order(his_client, settings, items=("JY0001", "JY0007", "JC0003"))
    his_sim.perform(placed.request_no, "critical")
    lab = his_client.lab_results(base.ExamOrderQuery(request_no=placed.request_no))
    flags = {item.code: item.flag for item in lab.items}
    assert flags["WBC"] == "HH" and [f for f in flags.values() if f in ("HH", "LL")] == ["HH"]
    exam = his_client.exam_report(base.ExamOrderQuery(request_no=placed.request_no))
    assert exam.critical and "危急值" in exam.impression


def test_an_order_is_performed_once_and_never_when_cancelled_or_without_a_critical_limit(his_client, his_sim, settings):
    placed = order(his_client, settings, items=("JY0006",))
    with pytest.raises(Refusal):
        his_sim.perform(placed.request_no, "critical")  # lipids have no critical limit
    his_sim.perform(placed.request_no, "normal")
    with pytest.raises(Refusal):
        his_sim.perform(placed.request_no, "normal")
    assert his_sim.count("report") == 14 + 1  # the seeded in-person reports and this one


def test_the_patient_report_list_has_years_of_in_person_reports_and_a_repeated_hba1c(his_client):
    listed = his_client.patient_reports(base.PatientReportsQuery(patient_id="00000001")).reports
    assert all(summary.origin == "in_person" for summary in listed)
    dates = [summary.reported_at for summary in listed]
    assert dates == sorted(dates, reverse=True)
    hba1c = [summary for summary in listed if summary.title == "糖化血红蛋白"]
    assert len(hba1c) == 9 and (hba1c[0].reported_at - hba1c[-1].reported_at).days >= 690
    values = [his_client.lab_results(base.ExamOrderQuery(request_no=s.request_no)).items[0] for s in hba1c]
    assert [v.value for v in values][:3] == ["6.3", "6.6", "6.8"] and values[-1].value == "8.6"
    assert all(v.unit == "%" and v.reference_range == "4-6" for v in values)
    ct = next(s for s in listed if s.kind == "exam" and s.title == "胸部CT平扫")
    assert his_client.exam_report(base.ExamOrderQuery(request_no=ct.request_no)).key_images


def test_an_unknown_image_is_not_found(his_client):
    with pytest.raises(base.HisError) as refused:
        his_client.exam_image(base.ExamImageQuery(report_no="JCBG0000000013", image_uid="1.2.3"))
    assert refused.value.code == base.HisError.NOT_FOUND


# --- the push ---------------------------------------------------------------------------------------
def capture(settings, status=200):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, text="ok" if status == 200 else "busy")

    settings.HIS_PUSH_TRANSPORT = httpx.MockTransport(answer)
    return seen


def test_released_reports_are_pushed_signed_and_marked_delivered(his_client, his_sim, settings):
    placed = order(his_client, settings)
    his_sim.perform(placed.request_no, "normal")
    seen = capture(settings)
    assert relay.push_pending(his_sim) == relay.Pushed(delivered=2, failed=0)
    bodies = []
    for request in seen:
        headers = dict(request.headers.items())
        nonce = push.verify(
            settings.HIS_PUSH_SECRET,
            headers={name: headers[name.lower()] for name in push.HEADERS},
            body=request.content,
            tolerance_seconds=300,
        )
        assert nonce
        bodies.append(push.parse(request.content))
    assert [(p.kind, p.report.request_no) for p in bodies] == [("lab", placed.request_no), ("exam", placed.request_no)]
    assert bodies[1].report.key_images and his_sim.pending_notices() == []
    assert relay.push_pending(his_sim) == relay.Pushed(delivered=0, failed=0)


def test_a_refused_push_stays_pending_and_is_sent_again(his_client, his_sim, settings):
    placed = order(his_client, settings, items=("JY0007",))
    his_sim.perform(placed.request_no, "normal")
    capture(settings, status=503)
    assert relay.push_pending(his_sim) == relay.Pushed(delivered=0, failed=1)
    assert his_sim.pending_notices()[0]["attempts"] == 1
    seen = capture(settings)
    assert relay.push_pending(his_sim, copies=2).delivered == 1 and len(seen) == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"X-His-Signature": "0" * 64}, "push.bad_signature"),
        ({"X-His-Timestamp": "1000000000"}, "push.bad_signature"),  # changed after signing
        ({"X-His-Nonce": ""}, "push.unsigned"),
    ],
)
def test_a_push_with_a_bad_signature_is_refused(change, code):
    body = b'{"notice_id":1,"kind":"lab","report":{}}'
    headers = {**push.signed_headers("secret", body), **change}
    with pytest.raises(push.PushRefused) as refused:
        push.verify("secret", headers=headers, body=body, tolerance_seconds=300)
    assert refused.value.code == code


def test_a_stale_push_is_refused(monkeypatch):
    body = b"{}"
    headers = push.signed_headers("secret", body)
    monkeypatch.setattr(push.time, "time", lambda: int(headers["X-His-Timestamp"]) + 301)
    with pytest.raises(push.PushRefused) as refused:
        push.verify("secret", headers=headers, body=body, tolerance_seconds=300)
    assert refused.value.code == "push.stale"


def test_a_push_that_is_not_a_report_is_unreadable():
    for body in (b"not json", json.dumps({"kind": "blood", "report": {}}).encode()):
        with pytest.raises(push.PushRefused) as refused:
            push.parse(body)
        assert refused.value.code == "push.unreadable"
