"""Lab results end to end in the browser: dr_bob's paid orders for alice are performed in the simulated HIS
from its control page (the lab with a critical value, the ultrasound normal); the reports are pushed to
the app over HTTP, signed; the doctor's open desk shows the critical-value alert at once and he
acknowledges it; alice reads both reports on a 360 px phone — the value flagged, the key image rendered —
and her report list holds her in-person reports too."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from ihospital.accounts.identity import staff_identity_confirm
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import accepted_booking, in_consultation
from ihospital.core.testing.personas import PASSWORD
from ihospital.labs.models import LabOrder, Report
from ihospital.labs.tests.factories import pay, place
from ihospital.records.services import record_open, record_sign
from ihospital.records.tests.conftest import written
from ihospital.signatures import services as signatures
from tests.browser import test_consultation as room
from tests.browser.conftest import PHONE
from tests.browser.test_consultation import DESK, signed_in_context, wait_until

PIN = "246810"
asgi_server = room.asgi_server
PHONE_WIDTH = "document.documentElement.scrollWidth <= 360"


def paid_orders(alice, dr_bob) -> tuple[LabOrder, LabOrder]:
    signatures.ca_setup(actor=Actor.system("test"))
    signatures.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    consultation = in_consultation(appointment, dr_bob, contextlib.nullcontext)
    draft = record_open(doctor=dr_bob, consultation=consultation, actor=Actor.of(dr_bob))
    version = written(draft, dr_bob, diagnoses=["E11.9"])
    record_sign(doctor=dr_bob, version=version, revision=version.revision, pin=PIN, actor=Actor.of(dr_bob))
    lab, exam = sorted(place(dr_bob, consultation, contextlib.nullcontext), key=lambda o: o.kind != "lab")
    return pay(lab, alice, contextlib.nullcontext), pay(exam, alice, contextlib.nullcontext)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_results_pushed_from_the_his_alert_the_doctor_and_the_patient_reads_them_on_her_phone(
    browser, asgi_server, alice, dr_bob, settings, screenshot
):
    settings.DEV_INBOX_ENABLED = True
    settings.HIS_PUSH_TRANSPORT = "httpx.HTTPTransport"  # the push crosses the network, as from the gateway host
    settings.HIS_PUSH_URL = f"{asgi_server.url}/his/push/reports/"
    lab, exam = paid_orders(alice, dr_bob)
    patient_context = signed_in_context(browser, asgi_server, alice, **PHONE)
    doctor_context = signed_in_context(browser, asgi_server, dr_bob, **DESK)
    his_context = browser.new_context(base_url=asgi_server.url, **DESK)
    try:
        desk: Page = doctor_context.new_page()
        desk.goto("/staff/desk/")
        # The desk's socket has joined (its presence is counted) before the HIS performs anything.
        wait_until(lambda: cache.get(f"desk-open:{dr_bob.public_id.hex}"), what="the desk's socket")

        his: Page = his_context.new_page()
        his.goto("/dev/his/")
        his.locator(f'[data-request-no="{lab.his_request_no}"]').get_by_test_id("perform-critical").click()
        expect(his.locator(f'[data-request-no="{lab.his_request_no}"] .badge')).to_have_text("reported")
        his.locator(f'[data-request-no="{exam.his_request_no}"] button[value="normal"]').click()

        alert = desk.get_by_test_id("desk-alert").filter(has_text="危急值")
        expect(alert).to_be_visible()
        screenshot(desk, "lab-critical-desk")
        wait_until(lambda: Report.objects.filter(order=exam).exists(), what="the exam report pushed")

        phone: Page = patient_context.new_page()
        phone.goto("/p/reports/")
        rows = phone.get_by_test_id("report-row")
        expect(rows.filter(has=phone.get_by_test_id("report-critical"))).to_have_count(1)
        assert phone.evaluate(PHONE_WIDTH)
        screenshot(phone, "lab-reports-list-phone")
        rows.filter(has=phone.get_by_test_id("report-critical")).click()
        expect(phone.get_by_test_id("critical-notice")).to_be_visible()
        expect(phone.locator('[data-testid=result-value][data-flag="HH"]')).to_have_count(1)
        assert phone.evaluate(PHONE_WIDTH)
        screenshot(phone, "lab-report-critical-phone")

        phone.goto("/p/reports/")
        phone.get_by_test_id("report-row").filter(has_text="泌尿系彩超").click()
        expect(phone.get_by_test_id("impression")).not_to_be_empty()
        image = phone.get_by_test_id("key-image").locator("img")
        expect(image).to_be_visible()
        wait_until(lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"), what="the key image")
        assert phone.evaluate(PHONE_WIDTH)
        screenshot(phone, "lab-report-ultrasound-phone")

        alert_page = doctor_context.new_page()
        alert_page.goto(f"/staff/critical-alerts/{Report.objects.get(order=lab).critical_alert.public_id}/")
        alert_page.locator("#note").fill("已电话通知患者立即急诊就诊")
        alert_page.get_by_test_id("acknowledge").click()
        expect(alert_page.get_by_test_id("critical-alert")).to_have_attribute("data-status", "acknowledged")
        assert AuditEvent.objects.filter(action="report.critical_acknowledged").count() == 1
    finally:
        for context in (patient_context, doctor_context, his_context):
            context.close()
