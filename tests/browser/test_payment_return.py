"""Back from the sandbox cashier: the booking page tells the truth about the payment.

A payment is known here only when the provider's notification has been applied, which can take a while
(it is delayed with the sandbox's fault switch). Until then the page must not offer "Pay now" under the
live "Payment received" banner: it says the payment is being confirmed, and moves on by itself once the
notification is applied. A patient who cancelled in the cashier is told so, and can still pay.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ihospital.appointments.services import appointment_book
from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
from ihospital.audit.services import Actor
from ihospital.integrations.payproviders.sandbox import control
from tests.browser.test_registration import (  # noqa: F401 (sandbox_over_http: an autouse fixture)
    appointment_url,
    sandbox_over_http,
    signed_in,
    time_passes,
)


def unpaid_booking(alice, dr_bob):
    clinic = online_schedule(dr_bob, capacity=2)
    return appointment_book(account=alice, data=booking(visit_person(alice), clinic), actor=Actor.of(alice))


@pytest.mark.browser
def test_after_paying_the_booking_is_confirming_then_updates_by_itself(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob
):
    appointment = unpaid_booking(alice, dr_bob)
    control.fault_next("delay", delay=30)  # the provider's notification is on its way, not here yet

    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto(appointment_url(live_server, appointment))
    patient.get_by_test_id("pay").click()
    patient.get_by_test_id("sandbox-confirm").click()

    state = patient.get_by_test_id("state")
    expect(state).to_have_attribute("data-status", "confirming")
    expect(patient.get_by_test_id("status")).to_have_attribute("data-status", "confirming")
    expect(patient.get_by_test_id("pay")).to_have_count(0)
    expect(patient.get_by_test_id("cancel")).to_have_count(0)  # "nothing charged yet" would not be true
    screenshot(patient, "payment-confirming")

    assert time_passes() >= 1  # the notification arrives and is applied
    # No reload by the patient: the page asks by itself and shows the paid booking.
    expect(state).to_have_attribute("data-status", "requested")
    expect(patient.get_by_test_id("status")).to_have_attribute("data-status", "requested")
    screenshot(patient, "payment-confirmed")


@pytest.mark.browser
def test_cancelling_in_the_cashier_says_so_and_the_patient_can_still_pay(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob
):
    appointment = unpaid_booking(alice, dr_bob)

    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto(appointment_url(live_server, appointment))
    patient.get_by_test_id("pay").click()
    patient.get_by_test_id("sandbox-cancel").click()

    expect(patient.get_by_test_id("state")).to_have_attribute("data-status", "payment_cancelled")
    expect(patient.get_by_test_id("state-title")).to_have_text("支付已取消")
    screenshot(patient, "payment-cancelled")
    patient.get_by_test_id("pay").click()
    expect(patient.get_by_test_id("sandbox-confirm")).to_be_visible()
