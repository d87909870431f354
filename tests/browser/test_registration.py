"""Registration end to end, patient on a phone and doctor at a desk: book with a report photo, pay at the
sandbox cashier, the doctor accepts, or declines and the fee comes back.

The sandbox posts its signed notifications over real HTTP to the live server (PUBLIC_BASE_URL). Huey runs in
immediate mode (root conftest): what is due now runs inline, even in the live server's threads, so a payment
notification has been applied by the time the cashier sends the browser back. What is scheduled for later (a
refund the "bank" completes after PAYMENT_SANDBOX_REFUND_DELAY_SECONDS, a notification retry) waits in huey's
memory until ``time_passes`` runs it: the test moves the clock forward instead of waiting for it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

import config.settings as configured
from ihospital.accounts import identity
from ihospital.accounts.models import User
from ihospital.accounts.tests.totp import code as totp_code
from ihospital.accounts.tests.totp import enrol
from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_book, appointment_checkout
from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
from ihospital.audit.services import Actor
from ihospital.core.testing.personas import PASSWORD
from ihospital.integrations.models import SandboxSms
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.payments.models import PaymentOrder

DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False, "device_scale_factor": 1}


@pytest.fixture(autouse=True)
def sandbox_over_http(settings, live_server):
    """The sandbox as it runs outside tests (the root conftest makes it answer in process, at once): it
    reaches the live server over HTTP, and a refund stays pending until time passes."""
    cashier_over_http(settings, live_server.url)
    HUEY.flush()
    yield
    HUEY.flush()


def cashier_over_http(settings, url: str) -> None:
    """Point the payment sandbox at the server at ``url``, its notifications going over HTTP as outside tests
    (``settings``: pytest-django's fixture, restored after the test)."""
    settings.PUBLIC_BASE_URL = url
    settings.PAYMENT_PROVIDER = "ihospital.integrations.payproviders.sandbox.provider.SandboxPayProvider"
    settings.PAYMENT_SANDBOX_TRANSPORT = configured.PAYMENT_SANDBOX_TRANSPORT
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = configured.PAYMENT_SANDBOX_RETRY_FACTOR
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = configured.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS


def time_passes(seconds: float = 60) -> int:
    """Run the tasks huey holds for the next ``seconds`` (the bank completing a refund, a notification
    retry), and whatever those schedule in turn within that time, as its scheduler would once their time
    came. Later ones (a hold's expiry after 15 minutes) stay scheduled. Returns how many ran."""
    ran = 0
    for _round in range(20):  # a notification is retried at most 15 times (WeChat's schedule)
        moment = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=seconds)
        due = HUEY.read_schedule(moment)
        if not due:
            return ran
        for task in due:
            HUEY.execute(task, timestamp=moment)
        ran += len(due)
    raise AssertionError("huey keeps scheduling tasks")


def pull_to_refresh(page: Page, locator) -> None:
    """The patient reloads the page once whatever was pending has happened: ``locator`` must show."""
    time_passes()
    page.reload()
    expect(locator).to_be_visible()


def report_photo() -> dict:
    out = BytesIO()
    Image.new("RGB", (320, 200), (30, 120, 200)).save(out, format="PNG")
    return {"name": "血压记录.png", "mimeType": "image/png", "buffer": out.getvalue()}


def sms_code_sent_to(phone: str) -> str:
    text = SandboxSms.objects.filter(phone=phone).latest("id").text
    return re.search(r"\b(\d{6})\b", text).group(1)


def sign_in_patient_by_sms(page: Page, live_server, phone: str) -> None:
    page.goto("/p/sign-in/")
    page.locator("[name=phone]").fill(phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    page.locator("[name=code]").fill(sms_code_sent_to(phone))
    page.get_by_test_id("verify-code").click()
    consent_if_asked(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/p/")


def consent_if_asked(page: Page, live_server) -> None:
    """A first sign-in (or one after the privacy notice changed) asks for both consents; give them."""
    consent = page.get_by_test_id("consent")
    expect(consent.or_(page.get_by_test_id("visit-persons"))).to_be_visible()  # asked, or signed in
    if consent.is_visible():
        page.get_by_test_id("consent-notice").check()
        page.get_by_test_id("consent-health").check()
        page.get_by_test_id("verify-code").click()


def sign_in_staff(page: Page, live_server, username: str, then: str) -> None:
    """The staff sign-in as a person does it: password, then the code of their authenticator app (the
    persona gets one with a known key first, as the demo's staff have)."""
    user = User.objects.get(username=username)
    if identity.second_factor_required(user) and identity.totp_device_of(user, confirmed=True) is None:
        enrol(user)
    page.goto(f"/staff/sign-in/?next={then}")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form button.btn-primary").click()
    if identity.second_factor_required(user):
        expect(page.get_by_test_id("sign-in-verify")).to_be_visible()
        page.locator("[name=code]").fill(totp_code(user))
        page.get_by_test_id("verify").click()
    expect(page).to_have_url(f"{live_server.url}{then}")


def signed_in(context: BrowserContext, live_server, user) -> BrowserContext:
    """Skip the sign-in pages: give the browser the session cookie of a signed-in test client."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context


def appointment_url(live_server, appointment: Appointment) -> str:
    return f"{live_server.url}/p/appointments/{appointment.public_id}/"


@pytest.mark.browser
def test_patient_books_with_a_photo_pays_and_the_doctor_accepts(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob
):
    clinic = online_schedule(dr_bob, capacity=4)
    visit_person(alice)

    # The patient, on a phone: sign in, department → doctor → a free time.
    patient = new_phone_context(browser).new_page()
    sign_in_patient_by_sms(patient, live_server, alice.phone)
    patient.get_by_test_id("go-book").click()
    patient.locator(f"a[href='/p/book/departments/{clinic.department.public_id}/']").first.click()
    patient.get_by_test_id("doctor").filter(has_text=dr_bob.full_name).click()
    expect(patient.get_by_test_id("slot")).to_have_count(4)
    patient.get_by_test_id("slot").nth(1).click()

    # The booking form: condition, the in-person diagnosis, a report photo, the follow-up confirmation.
    expect(patient.get_by_test_id("follow-up-rule")).to_be_visible()
    expect(patient.get_by_test_id("hold-note")).to_be_visible()
    patient.locator("[name=complaint]").fill("高血压复诊，最近早上血压偏高")
    patient.locator("[name=prior_visit_date]").fill((date.today() - timedelta(days=90)).isoformat())
    patient.locator("[name=prior_hospital]").fill("苏州市立医院")
    patient.locator("[name=prior_diagnosis]").fill("原发性高血压")
    patient.get_by_test_id("files").set_input_files([report_photo()])
    expect(patient.get_by_test_id("files-chosen")).to_contain_text("血压记录.png")
    patient.locator("[name=follow_up]").check()
    screenshot(patient, "registration-booking-form")
    patient.get_by_test_id("book").click()

    # The sandbox cashier, then back to the booking: paid, waiting for the doctor.
    expect(patient).to_have_url(re.compile(r"/sandbox/pay/\w+/$"))
    expect(patient.get_by_test_id("sandbox-amount")).to_contain_text("30.00")
    screenshot(patient, "registration-cashier")
    patient.get_by_test_id("sandbox-confirm").click()
    appointment = Appointment.objects.get(account=alice)
    expect(patient).to_have_url(appointment_url(live_server, appointment) + "?checkout=returned")
    pull_to_refresh(patient, patient.locator("[data-testid=state][data-status=requested]"))
    expect(patient.get_by_test_id("status")).to_have_attribute("data-status", "requested")
    expect(patient.get_by_test_id("attachment")).to_have_count(1)
    screenshot(patient, "registration-paid-awaiting-review")

    # The doctor, at a desk: the request with its declaration and the photo itself.
    doctor = new_phone_context(browser, **DESK).new_page()
    sign_in_staff(doctor, live_server, "dr_bob", "/staff/review/")
    request = doctor.locator(f"[data-testid=request][data-id='{appointment.public_id}']")
    expect(request).to_be_visible()
    expect(request.get_by_test_id("declaration")).to_contain_text("原发性高血压")
    photo = request.get_by_test_id("attachment")
    expect(photo).to_be_visible()
    # Served and decoded, not a broken icon (the image may still be loading when it becomes visible).
    photo.evaluate("img => img.complete ? null : new Promise((resolve) => img.addEventListener('load', resolve))")
    assert photo.evaluate("img => img.naturalWidth") == 320
    screenshot(doctor, "registration-review-queue")
    request.get_by_test_id("confirm-diagnosis").check()
    request.get_by_test_id("accept").click()
    expect(doctor.get_by_test_id("queue-empty")).to_be_visible()

    # The patient pulls to refresh: accepted.
    patient.reload()
    expect(patient.get_by_test_id("status")).to_have_attribute("data-status", "accepted")
    expect(patient.get_by_test_id("accepted-note")).to_be_visible()
    screenshot(patient, "registration-accepted")
    appointment.refresh_from_db()
    assert appointment.status == "accepted" and appointment.prior_diagnosis_confirmed


@pytest.mark.browser
def test_the_doctor_declines_and_the_patient_sees_the_refund_arrive(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob
):
    clinic = online_schedule(dr_bob, capacity=2)
    appointment = appointment_book(account=alice, data=booking(visit_person(alice), clinic), actor=Actor.of(alice))
    appointment_checkout(appointment=appointment, actor=Actor.of(alice))
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    trades.pay(order.out_trade_no)  # notifies over HTTP

    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto(appointment_url(live_server, appointment))
    pull_to_refresh(patient, patient.locator("[data-testid=state][data-status=requested]"))

    doctor = new_phone_context(browser, **DESK).new_page()
    sign_in_staff(doctor, live_server, "dr_bob", "/staff/review/")
    request = doctor.locator(f"[data-testid=request][data-id='{appointment.public_id}']")
    request.get_by_test_id("reject").click()  # no reason yet: refused on the card, nothing changes
    expect(request.get_by_test_id("review-error")).to_be_visible()
    request.get_by_test_id("reject-reason").fill("病情需要面诊，请先到心内科门诊就诊")
    request.get_by_test_id("reject").click()
    expect(doctor.get_by_test_id("queue-empty")).to_be_visible()

    # The patient sees the decline at once; the money comes back when the "bank" completes the refund.
    patient.reload()
    expect(patient.get_by_test_id("status")).to_have_attribute("data-status", "rejected")
    expect(patient.get_by_test_id("rejected-note")).to_contain_text("病情需要面诊")
    expect(patient.get_by_test_id("refund-pending")).to_be_visible()
    screenshot(patient, "registration-declined-refund-pending")
    pull_to_refresh(patient, patient.get_by_test_id("refund-done"))
    expect(patient.get_by_test_id("status")).to_have_attribute("data-refund", "done")
    screenshot(patient, "registration-declined-refunded")
    order.refresh_from_db()
    assert (order.status, order.refunded_fen) == ("refunded", 3000)
