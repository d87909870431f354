"""Pages as a patient sees them on a 360 px phone: nothing wider than the screen, a week of sessions one
day at a time, an error page with a way back."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from ihospital.accounts.identity import staff_identity_confirm
from ihospital.appointments.tests.factories import online_schedule
from ihospital.audit.services import Actor
from ihospital.consultations.services import message_post
from ihospital.consultations.tests.conftest import accepted_booking, in_consultation
from ihospital.core.testing.personas import PASSWORD, make_user
from tests.browser.test_registration import (  # noqa: F401 (sandbox_over_http: an autouse fixture)
    sandbox_over_http,
    signed_in,
)

WIDER_THAN_THE_SCREEN = """() => [document.documentElement, ...document.querySelectorAll('[data-testid=chat-message]')]
    .filter((element) => element.scrollWidth > element.clientWidth + 1)
    .map((element) => element.id || element.tagName)"""


def nothing_wider_than_the_screen(page: Page) -> None:
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []


@pytest.mark.browser
def test_an_unknown_page_is_a_branded_404_that_fits_the_phone_and_leads_home(page, live_server, screenshot):
    response = page.goto("/p/no-such-page/")
    assert response.status == 404
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "core.not_found")
    screenshot(page, "error-404")
    nothing_wider_than_the_screen(page)
    page.get_by_test_id("error-home").click()
    expect(page).to_have_url(f"{live_server.url}/")


@pytest.mark.browser
def test_the_doctors_week_is_a_day_picker_showing_one_day_at_a_time(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob
):
    for days_ahead in (1, 2, 3):
        online_schedule(dr_bob, capacity=8, starts_in=timedelta(days=days_ahead))
    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto(f"/p/book/doctors/{dr_bob.doctor_profile.public_id}/")

    tabs, days = patient.get_by_test_id("day-tab"), patient.get_by_test_id("day")
    expect(tabs).to_have_count(3)
    expect(days.nth(0)).to_be_visible()
    expect(days.nth(1)).to_be_hidden()
    expect(days.nth(2)).to_be_hidden()
    screenshot(patient, "doctor-week-day-1")
    tabs.nth(1).click()
    expect(days.nth(1)).to_be_visible()
    expect(days.nth(0)).to_be_hidden()
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    nothing_wider_than_the_screen(patient)


@pytest.mark.browser
def test_long_chat_messages_wrap_on_a_phone(browser, new_phone_context, live_server, screenshot, alice, dr_bob):
    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    consultation = in_consultation(appointment, dr_bob, contextlib.nullcontext)
    long_texts = [
        "https://example.org/report/" + "a1b2c3d4" * 30,  # one unbroken word
        "血压" * 150,
        "My blood pressure readings this week were " + "135/85 " * 40,
    ]
    for text in long_texts:
        message_post(sender=alice, consultation=consultation, text=text, actor=Actor.of(alice))

    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto(f"/p/consultations/{consultation.public_id}/")
    expect(patient.get_by_test_id("chat-message")).to_have_count(len(long_texts))
    screenshot(patient, "chat-long-messages")
    nothing_wider_than_the_screen(patient)
    log = patient.get_by_test_id("chat-log")
    assert log.evaluate("(element) => element.scrollWidth <= element.clientWidth")

    doctor = signed_in(new_phone_context(browser), live_server, dr_bob).new_page()
    doctor.goto(f"/staff/consultations/{consultation.public_id}/")
    expect(doctor.get_by_test_id("chat-message")).to_have_count(len(long_texts))
    screenshot(doctor, "chat-long-messages-doctor")
    nothing_wider_than_the_screen(doctor)

    auditor = signed_in(new_phone_context(browser), live_server, make_user("auditor", "auditor")).new_page()
    auditor.goto(f"/staff/audit/consultations/{consultation.public_id}/")
    expect(auditor.get_by_text("a1b2c3d4a1b2", exact=False)).to_be_visible()
    screenshot(auditor, "chat-long-messages-auditor")
    nothing_wider_than_the_screen(auditor)


ROOM_LAYOUT = """() => {
    const box = (element) => element.getBoundingClientRect();
    const brand = document.querySelector('.navbar-brand');
    const header = document.querySelector('[data-testid=room-header]');
    const stage = box(document.querySelector('.video-stage'));
    const state = box(document.querySelector('[data-testid=call-state]'));
    const controls = [...document.querySelectorAll('#room-controls .btn')].map(box);
    return {
        brandTruncated: brand.scrollWidth > brand.clientWidth,
        headerLines: Math.round(box(header).height / parseFloat(getComputedStyle(header).lineHeight)),
        stateOnTheVideo: state.top >= stage.top && state.bottom <= stage.bottom && state.right <= stage.right,
        controlRows: new Set(controls.map((b) => Math.round(b.top))).size,
        tallestControl: Math.max(...controls.map((b) => b.height)),
    };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_patients_room_header_fits_a_phone(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob, language
):
    """The top bar, one line of who and where, the video with the call's state and the recording badge
    over it, and one row of controls whose labels don't wrap: on a 360 px phone, in both languages."""
    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    consultation = in_consultation(appointment, dr_bob, contextlib.nullcontext)
    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto("/p/")
    if language == "en":
        patient.locator("form[action*='setlang'] button").click()
        expect(patient.locator("html")).to_have_attribute("lang", "en")
    patient.goto(f"/p/consultations/{consultation.public_id}/")
    expect(patient.get_by_test_id("call-state")).not_to_have_text("…")
    patient.evaluate("document.querySelector('[data-recording]').hidden = false")  # as while recording
    screenshot(patient, f"room-header-{language}")

    layout = patient.evaluate(ROOM_LAYOUT)
    assert layout["brandTruncated"] is False
    assert layout["headerLines"] == 1
    assert layout["stateOnTheVideo"] is True
    assert layout["controlRows"] == 1
    assert layout["tallestControl"] <= 48  # one line of text in a 44 px touch target
    nothing_wider_than_the_screen(patient)


@pytest.mark.browser
def test_a_doctor_retires_a_record_template_on_a_phone_after_confirming(
    browser, new_phone_context, live_server, screenshot, dr_bob
):
    from ihospital.records.models import RecordTemplate
    from ihospital.records.services import RecordContent, phrase_create, template_create

    content = RecordContent(treatment_advice="多饮水，注意休息。", diagnoses=["J06.9"])
    template_create(
        doctor=dr_bob, name="急性上呼吸道感染（成人）", content=content, department=None, actor=Actor.of(dr_bob)
    )
    phrase_create(doctor=dr_bob, text="视频下见咽部充血，扁桃体无肿大。" * 3, actor=Actor.of(dr_bob))
    doctor = signed_in(new_phone_context(browser), live_server, dr_bob).new_page()
    doctor.goto("/staff/record-templates/")
    expect(doctor.get_by_test_id("template-row")).to_have_count(1)
    screenshot(doctor, "record-templates-phone")
    nothing_wider_than_the_screen(doctor)
    doctor.once("dialog", lambda dialog: dialog.accept())
    doctor.get_by_test_id("template-retire").click()
    expect(doctor.get_by_test_id("template-row")).to_have_count(0)
    expect(doctor.locator(".alert-success")).to_contain_text("急性上呼吸道感染（成人）")
    assert RecordTemplate.objects.get().retired_at is not None


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/p/", "/p/appointments/", "/staff/"])
def test_the_top_bar_keeps_the_brand_whole_in_english_on_a_phone(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob, path
):
    """Brand, message bell, language and Sign out share 360 px: the brand is not cut to "Internet H…"."""
    page = signed_in(new_phone_context(browser), live_server, dr_bob if path == "/staff/" else alice).new_page()
    page.goto(path)
    page.locator("form[action*='setlang'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "top-bar-en" + path.replace("/", "-"))
    brand = page.locator(".navbar-brand")
    assert brand.evaluate("(element) => element.scrollWidth <= element.clientWidth"), brand.inner_text()
    expect(page.get_by_test_id("sign-out")).to_be_visible()
    nothing_wider_than_the_screen(page)
