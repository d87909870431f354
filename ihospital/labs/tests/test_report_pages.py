"""报告查询: the patient's reports (in-person visits from the HIS report list here), a report page, its PDF,
the trend of a repeated item; the doctor's list of his patient's reports; who may read what; every read
audited; the list's query count does not grow with the number of reports."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.labs import selectors
from ihospital.labs.models import Report
from ihospital.labs.services import reports_sync


@pytest.fixture
def alice_reports(in_progress, commit):
    """alice's visit person of her consultation with dr_bob, linked to the seeded HIS patient: her 14
    in-person reports (nine HbA1c over two years, a blood count, lipids, a chest CT, an ECG …)."""
    person = in_progress.appointment.visit_person
    type(person).objects.filter(pk=person.pk).update(his_patient_id="00000001")
    person.refresh_from_db()
    with commit():
        reports_sync(person=person, force=True)
    return person


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hba1c_latest(person) -> Report:
    return Report.objects.filter(visit_person=person, title="糖化血红蛋白").order_by("-reported_at").first()


def test_the_patient_lists_her_reports_newest_first_and_reads_one(alice_reports, alice):
    page = client_of(alice).get("/p/reports/").content.decode()
    rows = re.findall(r'data-testid="report-row"', page)
    assert len(rows) == 14 and "胸部CT平扫" in page and "血脂四项" in page
    lipids = Report.objects.get(visit_person=alice_reports, title="血脂四项", abnormal=True)
    detail = client_of(alice).get(f"/reports/{lipids.public_id}/").content.decode()
    assert 'data-code="TC" data-flag="H"' in detail and "mmol/L" in detail and "&lt;5.2" in detail


def test_mallory_never_sees_alices_reports(alice_reports, mallory):
    mallory_client = client_of(mallory)
    assert 'data-testid="report-row"' not in mallory_client.get("/p/reports/").content.decode()
    report = hba1c_latest(alice_reports)
    for url in (
        f"/reports/{report.public_id}/",
        f"/reports/{report.public_id}/report.pdf",
        f"/reports/{report.public_id}/trend/HbA1c/",
    ):
        assert mallory_client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(action="report.read", actor_name=mallory.username).exists()


def test_a_doctor_sees_the_reports_of_his_patients_only(alice_reports, dr_bob, dr_erin):
    url = f"/staff/patients/{alice_reports.public_id}/reports/"
    assert client_of(dr_bob).get(url).content.decode().count('data-testid="report-row"') == 14
    report = hba1c_latest(alice_reports)
    assert client_of(dr_bob).get(f"/reports/{report.public_id}/").status_code == 200
    erin = client_of(dr_erin)
    assert erin.get(url).status_code == 404 and erin.get(f"/reports/{report.public_id}/").status_code == 404


def test_every_read_is_audited(alice_reports, alice):
    client = client_of(alice)
    report = hba1c_latest(alice_reports)
    client.get("/p/reports/")
    client.get(f"/reports/{report.public_id}/")
    client.get(f"/reports/{report.public_id}/trend/HbA1c/")
    client.get(f"/reports/{report.public_id}/report.pdf")
    actions = list(AuditEvent.objects.filter(actor_name=alice.username).values_list("action", flat=True))
    assert actions.count("report.list_read") == 1 and actions.count("report.read") == 3
    assert actions.count("report.trend_read") == 2  # the report page shows the one repeated item's trend too


def test_the_trend_of_a_repeated_hba1c_has_every_value_in_order_and_the_reference_band(alice_reports, alice):
    report = hba1c_latest(alice_reports)
    trend = selectors.trend_of(report=report, code="HbA1c", actor=Actor.of(alice))
    assert [str(point.value.normalize()) for point in trend.points] == [
        "8.6", "8.1", "7.7", "7.4", "7", "7.2", "6.8", "6.6", "6.3",
    ]  # fmt: skip
    assert (trend.low, trend.high, trend.unit) == (4, 6, "%")
    dates = [point.reported_at for point in trend.points]
    assert dates == sorted(dates) and (dates[-1] - dates[0]).days >= 690
    assert {point.flag for point in trend.points} == {"H"}
    page = client_of(alice).get(f"/reports/{report.public_id}/trend/HbA1c/").content.decode()
    start = page.index('data-testid="trend-chart"')
    svg = page[start : page.index("</svg>", start)]
    assert svg.count("<circle") == 9 and 'data-testid="trend-band"' in svg and "style=" not in svg


def test_the_pdf_has_the_patient_the_values_and_the_physicians(alice_reports, alice):
    lipids = Report.objects.get(visit_person=alice_reports, title="血脂四项", abnormal=True)
    response = client_of(alice).get(f"/reports/{lipids.public_id}/report.pdf")
    assert response["Content-Type"] == "application/pdf" and response["Cache-Control"] == "private, no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "总胆固醇" in text and "mmol/L" in text and lipids.his_report_no in text and "陈晓燕" in text


def test_an_imaging_report_shows_its_key_image(alice_reports, alice):
    ct = Report.objects.get(visit_person=alice_reports, title="胸部CT平扫")
    page = client_of(alice).get(f"/reports/{ct.public_id}/").content.decode()
    assert "结节" in page and f"/reports/{ct.public_id}/images/0.png" in page
    image = client_of(alice).get(f"/reports/{ct.public_id}/images/0.png")
    assert image.status_code == 200 and b"".join(image.streaming_content)[:4] == b"\x89PNG"


def more_reports(person, count: int) -> None:
    from ihospital.core.time import now

    Report.objects.bulk_create(
        Report(
            visit_person=person,
            source="in_person",
            kind="lab",
            his_report_no=f"EXTRA{n}",
            his_request_no=f"SQX{n}",
            title="血常规",
            reported_at=now(),
            received_at=now(),
            received_via="fetch",
        )
        for n in range(count)
    )


def test_the_list_costs_the_same_queries_for_a_few_reports_or_many(alice_reports, alice):
    client = client_of(alice)
    client.get("/p/reports/")  # the first visit reads the HIS report list (throttled after)
    with CaptureQueriesContext(connection) as few:
        client.get("/p/reports/")
    more_reports(alice_reports, 80)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/p/reports/?page=2").status_code == 200
    assert len(few) == len(many)


def test_the_doctor_finds_the_patients_reports_from_the_consultation_room(alice_reports, in_progress, dr_bob):
    page = client_of(dr_bob).get(f"/staff/consultations/{in_progress.public_id}/").content.decode()
    assert f"/staff/patients/{alice_reports.public_id}/reports/" in page


def test_a_long_trend_shows_its_latest_values(alice_reports, alice):
    from datetime import timedelta
    from decimal import Decimal

    from ihospital.labs.models import ResultValue
    from ihospital.labs.selectors import TREND_MAX_POINTS

    latest = hba1c_latest(alice_reports)
    more_reports(alice_reports, TREND_MAX_POINTS)
    extra = Report.objects.filter(his_report_no__startswith="EXTRA").order_by("his_report_no")
    for n, report in enumerate(extra):
        Report.objects.filter(pk=report.pk).update(reported_at=latest.reported_at - timedelta(days=1000 + n))
        ResultValue.objects.create(
            report=report, position=0, code="HbA1c", name="糖化血红蛋白", value="7.0", numeric=Decimal("7.0"),
            unit="%", reference_text="4-6", reference_low=4, reference_high=6, flag="H",
        )  # fmt: skip
    trend = selectors.trend_of(report=latest, code="HbA1c", actor=Actor.of(alice))
    assert len(trend.points) == TREND_MAX_POINTS and trend.points[-1].reported_at == latest.reported_at
    dates = [point.reported_at for point in trend.points]
    assert dates == sorted(dates) and str(trend.points[-1].value.normalize()) == "6.3"
