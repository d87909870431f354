"""E-prescriptions end to end: the doctor writes from the HIS catalogue (found by pinyin initials), a dose
above the maximum warns and needs a reason, signs with the PIN; the prescription appears live in carol's
review queue; carol reads the findings, the reason and the signed record and returns it with a coded reason;
the doctor revises it as a new version and resubmits; carol approves, signing too, and it is released.
Then alice, on her phone, opens it, chooses delivery to her address and pays at the sandbox cashier; carol
dispenses it and ships it from the pharmacy console; the courier sandbox's pushes reach the server over HTTP;
alice sees it delivered (the same steps as tests/browser/test_prescription_delivery.py, shared).

Served by uvicorn in this process (tests/browser/asgi_server.py): the review queue is live over a WebSocket.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huey.contrib.djhuey import HUEY
from playwright.sync_api import Browser, BrowserContext, expect

from ihospital.audit.services import Actor
from ihospital.fulfilment import services as fulfilment
from ihospital.fulfilment.tests.conftest import address_input
from ihospital.prescriptions.models import Prescription
from ihospital.signatures import services as signatures
from tests.browser.asgi_server import AsgiServer
from tests.browser.conftest import PHONE
from tests.browser.test_consultation import DESK, signed_in_context
from tests.browser.test_lab_orders import PIN, consultation_with_signed_record
from tests.browser.test_prescription_delivery import (
    alice_opens_her_released_prescription,
    courier_pushes_over_http,
    delivered_after_alice_pays_and_carol_ships,
)
from tests.browser.test_registration import cashier_over_http


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[AsgiServer]:
    server = AsgiServer().start()
    yield server
    server.stop()


@pytest.fixture
def sandboxes_over_http(settings, asgi_server):
    """The payment and courier sandboxes as outside tests: their notifications reach ``asgi_server`` over HTTP
    (huey immediate; what is scheduled for later waits for ``time_passes``)."""
    cashier_over_http(settings, asgi_server.url)
    courier_pushes_over_http(settings, asgi_server.url)
    HUEY.flush()
    yield
    HUEY.flush()


def watched(context: BrowserContext, violations: list[str]) -> BrowserContext:
    """Collect what the Content-Security-Policy blocks on any page of ``context``."""
    context.on(
        "page",
        lambda page: page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    return context


def settled(writer) -> None:
    """Wait until htmx has finished settling what it last swapped in: it wires a new element's triggers
    (the drug search's ``input``, the item form's submit) only then, so typing earlier would go unheard."""
    expect(writer.page.locator(".htmx-settling")).to_have_count(0)


def add_drug(writer, *, query: str, code: str, dose: str, frequency: str) -> None:
    settled(writer)
    writer.get_by_test_id("rx-drug-query").fill(query)
    writer.locator(f"[data-testid=rx-drug][data-code={code}]").click()
    form = writer.get_by_test_id("rx-item-form")
    expect(form).to_be_visible()
    settled(writer)
    form.get_by_test_id("rx-dose").fill(dose)
    form.get_by_test_id("rx-unit").select_option("mg")
    form.get_by_test_id("rx-frequency").select_option(frequency)
    form.get_by_test_id("rx-item-add").click()
    expect(writer.locator(f"[data-testid=rx-item][data-code={code}]")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_doctor_writes_pharmacist_returns_doctor_revises_pharmacist_approves_alice_pays_and_it_is_delivered(
    browser: Browser, asgi_server, sandboxes_over_http, screenshot, alice, dr_bob, carol
):
    consultation = consultation_with_signed_record(alice, dr_bob)
    signatures.credential_issue(holder=carol, actor=Actor.system("test"))
    signatures.signing_pin_set(holder=carol, current_pin=None, new_pin=PIN, actor=Actor.of(carol))
    violations: list[str] = []
    doctor = watched(signed_in_context(browser, asgi_server, dr_bob, **DESK), violations).new_page()
    pharmacist = watched(signed_in_context(browser, asgi_server, carol, **DESK), violations).new_page()

    # carol keeps the review queue open: nothing waits yet.
    pharmacist.goto("/staff/prescriptions/review/")
    expect(pharmacist.get_by_test_id("rx-queue-empty")).to_be_visible()
    expect(pharmacist.get_by_test_id("rx-live")).to_have_attribute("data-live", "on")

    # The doctor writes: amlodipine found by its pinyin initials, 10 mg twice a day (above the maximum).
    doctor.goto(f"/staff/consultations/{consultation.public_id}/prescription/")
    doctor.get_by_test_id("rx-start").click()
    writer = doctor.get_by_test_id("rx-writer")
    expect(writer).to_have_attribute("data-status", "draft")
    expect(writer.get_by_test_id("rx-diagnoses")).to_contain_text("I10")
    add_drug(writer, query="aldp", code="YP00001", dose="10", frequency="bid")
    expect(writer.get_by_test_id("rx-quantity-shown")).to_have_text("4 盒")  # 20 mg a day, 7 days, 5 mg × 7
    warning = writer.locator("[data-testid=rx-finding][data-severity=warn]")
    expect(warning).to_contain_text("20 mg")
    screenshot(doctor, "rx-1-doctor-warning")
    writer.get_by_test_id("rx-pin").fill("135799")  # a wrong PIN: refused, nothing signed
    writer.get_by_test_id("rx-reason").fill("短期加量")
    writer.get_by_test_id("rx-submit").click()
    expect(writer.get_by_test_id("rx-error")).to_have_attribute("data-code", "signature.pin_wrong")
    expect(writer).to_have_attribute("data-status", "draft")
    writer.get_by_test_id("rx-reason").fill("血压控制不佳，短期加量，一周后复诊。")
    writer.get_by_test_id("rx-pin").fill(PIN)
    writer.get_by_test_id("rx-submit").click()
    expect(writer.get_by_test_id("rx-submitted")).to_be_visible()

    # It appears in carol's queue without a reload; she reads it and returns it with a coded reason.
    expect(pharmacist.get_by_test_id("rx-queue-item")).to_have_count(1)
    pharmacist.get_by_test_id("rx-review-open").click()
    expect(pharmacist.get_by_test_id("rx-record")).to_contain_text("I10")
    expect(pharmacist.get_by_test_id("rx-reason-given")).to_contain_text("短期加量")
    expect(pharmacist.get_by_test_id("rx-signature")).to_have_attribute("data-valid", "true")
    screenshot(pharmacist, "rx-2-pharmacist-review")
    pharmacist.get_by_test_id("rx-reject-reason").select_option("dose")
    pharmacist.get_by_test_id("rx-reject-comment").fill("单日剂量超过说明书上限，请改为每日一次 5 mg。")
    pharmacist.get_by_test_id("rx-reject").click()
    expect(pharmacist.get_by_test_id("rx-queue-empty")).to_be_visible()

    # The doctor sees why, revises as version 2 (5 mg once a day: nothing to report) and resubmits.
    doctor.reload()
    expect(writer.get_by_test_id("rx-rejected")).to_contain_text("每日一次 5 mg")
    writer.get_by_test_id("rx-revise").click()
    expect(writer).to_have_attribute("data-version", "2")
    writer.get_by_test_id("rx-item-remove").click()
    expect(writer.get_by_test_id("rx-item")).to_have_count(0)
    add_drug(writer, query="YP00001", code="YP00001", dose="5", frequency="qd")
    expect(writer.get_by_test_id("rx-no-findings")).to_be_visible()
    writer.get_by_test_id("rx-pin").fill(PIN)
    writer.get_by_test_id("rx-submit").click()
    expect(writer.get_by_test_id("rx-submitted")).to_be_visible()

    # carol approves version 2, signing it; version 1 stays readable with its signature and her reasons.
    expect(pharmacist.get_by_test_id("rx-queue-item")).to_have_count(1)
    pharmacist.get_by_test_id("rx-review-open").click()
    expect(pharmacist.get_by_test_id("rx-version")).to_have_count(2)
    expect(pharmacist.get_by_test_id("rx-reject-shown")).to_contain_text("每日一次 5 mg")
    pharmacist.get_by_test_id("rx-review-pin").fill(PIN)
    pharmacist.get_by_test_id("rx-approve").click()
    expect(pharmacist.get_by_test_id("rx-queue-empty")).to_be_visible()
    prescription = Prescription.objects.get()
    assert prescription.status == "released" and prescription.valid_until is not None
    pharmacist.goto(f"/staff/prescriptions/{prescription.public_id}/")
    expect(
        pharmacist.locator("[data-testid=rx-version][data-status=approved] [data-testid=rx-signature]")
    ).to_have_count(2)
    screenshot(pharmacist, "rx-3-approved-two-signatures")

    # Both pages fit a 360 px phone.
    for page, path in ((doctor, f"/staff/consultations/{consultation.public_id}/prescription/"), (pharmacist, None)):
        page.set_viewport_size({"width": 360, "height": 740})
        if path:
            page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{page.url} is wider than the phone: {width}px"
    screenshot(pharmacist, "rx-4-phone-review")

    # alice, on her phone (her address already in her book), pays for delivery; carol ships; it arrives.
    fulfilment.pharmacies_sync(actor=Actor.system("test"))
    fulfilment.address_create(account=alice, data=address_input(), actor=Actor.of(alice))
    phone = watched(signed_in_context(browser, asgi_server, alice, **PHONE), violations).new_page()
    alice_opens_her_released_prescription(phone, asgi_server.url, screenshot)
    delivered_after_alice_pays_and_carol_ships(
        phone, pharmacist, asgi_server.url, prescription, "宛平南路 600 号", screenshot
    )
    assert violations == [], "the Content-Security-Policy blocked something"
