"""A released prescription on alice's phone: she sees it with both signatures, chooses delivery to her
address, pays at the sandbox cashier; carol dispenses it and hands it to the courier at the pharmacy console;
the courier sandbox pushes its signed route updates over HTTP as time passes; alice sees it delivered with
the tracking. Every page at 360 px, screenshotted."""

from __future__ import annotations

import pytest
from django.conf import settings as configured
from playwright.sync_api import Page, expect

from ihospital.fulfilment.tests import conftest as fulfilment
from ihospital.prescriptions.models import Prescription
from tests.browser.test_registration import (  # noqa: F401 (sandbox_over_http: an autouse fixture)
    sandbox_over_http,
    signed_in,
    time_passes,
)

# alice's consultation with dr_bob, its signed record, her prescription signed by dr_bob and carol, released.
accepted = fulfilment.accepted
confirmed_bob = fulfilment.confirmed_bob
in_progress = fulfilment.in_progress
can_sign = fulfilment.can_sign
signed_record = fulfilment.signed_record
released = fulfilment.released
pharmacies = fulfilment.pharmacies
commit = fulfilment.commit


@pytest.fixture(autouse=True)
def courier_over_http(settings, live_server):
    courier_pushes_over_http(settings, live_server.url)


def courier_pushes_over_http(settings, url: str) -> None:
    """The courier sandbox as it runs outside tests: its pushes reach the server at ``url`` over HTTP, a step
    every few seconds (tests let the time pass)."""
    settings.COURIER_PROVIDER = "ihospital.integrations.courier.sandbox.provider.SandboxCourier"
    settings.COURIER_SANDBOX_TRANSPORT = configured.COURIER_SANDBOX_TRANSPORT
    settings.COURIER_SANDBOX_STEP_SECONDS = 5
    settings.PUBLIC_BASE_URL = url


def alice_opens_her_released_prescription(phone: Page, url: str, screenshot) -> None:
    """From her home page, alice opens her (only) prescription: released, with both signatures."""
    phone.goto(f"{url}/p/")
    phone.get_by_test_id("go-prescriptions").click()
    phone.get_by_test_id("prescription-row").first.click()
    expect(phone.get_by_test_id("rx-status")).to_have_attribute("data-status", "released")
    expect(phone.get_by_test_id("signer")).to_have_count(2)
    expect(phone.get_by_test_id("verify-link").first.locator("svg")).to_be_visible()
    screenshot(phone, "rx-released")


def delivered_after_alice_pays_and_carol_ships(
    phone: Page, desk: Page, url: str, prescription: Prescription, address: str, screenshot
) -> None:
    """On her prescription's page, alice chooses delivery to her address (``address``: its street, already
    selected there) and pays at
    the sandbox cashier; carol (``desk``, signed in) dispenses it and hands it to the courier from the
    pharmacy console; the courier sandbox pushes its route over HTTP as time passes; alice sees it delivered."""
    expect(phone.get_by_test_id("address-select")).to_contain_text(address)
    phone.locator("#m-delivery").check()
    phone.get_by_test_id("choose").click()
    expect(phone.get_by_test_id("chosen")).to_contain_text(address)
    phone.get_by_test_id("pay").click()
    phone.get_by_test_id("sandbox-confirm").click()
    expect(phone.get_by_test_id("rx-status")).to_have_attribute("data-status", "paid")
    screenshot(phone, "rx-paid")

    # The pharmacy: carol dispenses it and hands it to the courier from her console.
    mine = f"[data-prescription='{prescription.public_id}']"
    desk.goto(f"{url}/staff/")
    desk.get_by_test_id("go-pharmacy").click()
    desk.locator(mine).get_by_test_id("dispense").click()
    desk.get_by_test_id("tab-dispensed").click()
    desk.locator(mine).get_by_test_id("ship").click()
    desk.get_by_test_id("tab-shipped").click()
    expect(desk.locator(mine).get_by_test_id("shipment-status")).to_be_visible()
    screenshot(desk, "pharmacy-console")

    # The courier picks it up, carries it and delivers it; its signed pushes reach the server over HTTP.
    assert time_passes(60) >= 3
    phone.reload()
    expect(phone.get_by_test_id("rx-status")).to_have_attribute("data-status", "delivered")
    expect(phone.get_by_test_id("tracking-event")).to_have_count(3)
    expect(phone.get_by_test_id("shipment-status")).to_have_attribute("data-status", "delivered")
    screenshot(phone, "rx-delivered")
    assert Prescription.objects.get(pk=prescription.pk).status == Prescription.Status.DELIVERED


@pytest.mark.browser
def test_alice_adds_her_address_from_the_prescription_pays_for_delivery_and_sees_it_delivered(
    browser, new_phone_context, live_server, screenshot, alice, carol, released, pharmacies
):
    phone = signed_in(new_phone_context(browser), live_server, alice).new_page()
    alice_opens_her_released_prescription(phone, live_server.url, screenshot)

    # Her address book is empty: she adds her address from the prescription and comes back to it.
    phone.get_by_test_id("add-address").click()
    phone.locator("#id_recipient").fill("艾丽斯")
    phone.locator("#id_phone").fill("138 0000 0001")
    phone.locator("#id_province").select_option("上海市")
    phone.locator("#id_city").fill("上海市")
    phone.locator("#id_district").fill("徐汇区")
    phone.locator("#id_detail").fill("宛平南路 600 号 3 号楼 502 室")
    screenshot(phone, "address-form")
    phone.get_by_test_id("save").click()

    desk = signed_in(new_phone_context(browser), live_server, carol).new_page()
    delivered_after_alice_pays_and_carol_ships(phone, desk, live_server.url, released, "宛平南路 600 号", screenshot)


@pytest.mark.browser
def test_alice_picks_it_up_with_her_code_after_a_wrong_one_is_refused(
    browser, new_phone_context, live_server, screenshot, alice, carol, released, pharmacies
):
    phone = signed_in(new_phone_context(browser), live_server, alice).new_page()
    phone.goto(f"{live_server.url}/p/prescriptions/{released.public_id}/")
    phone.locator("#m-pickup").check()
    phone.get_by_test_id("pharmacy-select").select_option(label="门诊西药房 · 门诊楼一层西侧 · 周一至周日 08:00-17:30")
    phone.get_by_test_id("choose").click()
    phone.get_by_test_id("pay").click()
    phone.get_by_test_id("sandbox-confirm").click()
    expect(phone.get_by_test_id("rx-status")).to_have_attribute("data-status", "paid")

    desk = signed_in(new_phone_context(browser), live_server, carol).new_page()
    desk.goto(f"{live_server.url}/staff/pharmacy/")
    desk.locator(f"[data-prescription='{released.public_id}']").get_by_test_id("dispense").click()

    phone.reload()
    expect(phone.get_by_test_id("rx-status")).to_have_attribute("data-status", "ready_for_pickup")
    expect(phone.get_by_test_id("pickup-code").locator("svg")).to_be_visible()
    code = phone.get_by_test_id("pickup-digits").inner_text().strip()
    screenshot(phone, "rx-pickup-code")

    desk.get_by_test_id("go-pickup").click()
    desk.locator("#code").fill(f"{(int(code) + 1) % 10**8:08d}")
    desk.get_by_test_id("hand-over").click()
    expect(desk.locator(".alert-danger, .alert-error")).to_contain_text("取药码")
    desk.locator("#code").fill(code)
    desk.get_by_test_id("hand-over").click()
    expect(desk.get_by_test_id("handed")).to_be_visible()
    screenshot(desk, "pharmacy-pickup")
    phone.reload()
    expect(phone.get_by_test_id("rx-status")).to_have_attribute("data-status", "picked_up")
