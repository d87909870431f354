"""The consultation end to end, patient on a phone and doctor at a desk, each in their own Chromium
context with Chromium's fake camera: the reminder banner, check-in, the doctor's live queue, the identity
re-check, the call, video both ways, chat both ways, completion, and the stored recording.

Served by uvicorn in this process (tests/browser/asgi_server.py): WebSockets need ASGI.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ihospital.consultations import webm
from ihospital.consultations.models import Consultation, Recording, RecordingChunk
from ihospital.consultations.services import reminders_send_due
from ihospital.consultations.tests.conftest import accepted_booking
from ihospital.core.testing.personas import PASSWORD
from tests.browser.asgi_server import AsgiServer
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, PHONE

CAMERA_REFUSED = """{
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (wanted) =>
        wanted.video ? Promise.reject(new DOMException("camera refused", "NotAllowedError")) : open(wanted);
}"""
DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False, "device_scale_factor": 1}
VIDEO_PLAYING = """(video) => new Promise((resolve) => {
    const start = video.currentTime;
    const playing = () => video.videoWidth > 0 && video.currentTime > start + 0.5;
    const check = () => (playing() ? resolve(true) : setTimeout(check, 100));
    check();
})"""


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[AsgiServer]:
    server = AsgiServer().start()
    yield server
    server.stop()


def signed_in_context(browser: Browser, server: AsgiServer, user, **options) -> BrowserContext:
    """A browser already signed in as ``user`` (sign-in itself is covered by its own browser tests)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": server.url}])
    return context


def wait_until(condition, *, seconds: float = 15, what: str = "") -> None:
    """Wait for ``condition()``, a fact in the database that no page shows (the server thread writes it),
    looking every 0.1 s; fail after ``seconds``. Anything a page shows is waited on with ``expect``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_patient_and_doctor_meet_by_video_and_the_call_is_recorded(
    media_browser, asgi_server, alice, dr_bob, screenshot
):
    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    patient_context = signed_in_context(media_browser, asgi_server, alice, **PHONE)
    doctor_context = signed_in_context(media_browser, asgi_server, dr_bob, **DESK)
    try:
        patient: Page = patient_context.new_page()
        doctor: Page = doctor_context.new_page()

        # The doctor opens the desk; the patient's appointment page is open when the reminder is due.
        doctor.goto("/staff/desk/")
        expect(doctor.get_by_test_id("queue-empty")).to_be_visible()
        patient.goto(f"/p/appointments/{appointment.public_id}/")
        # The reminder is pushed to the page only once its notifications socket has joined.
        expect(patient.locator("html")).to_have_attribute("data-live-socket", "open")
        assert reminders_send_due() == 1
        banner = patient.get_by_test_id("live-banner")
        expect(banner).to_be_visible()
        screenshot(patient, "consultation-1-reminder")

        # Check-in: the patient sees their place; the doctor's queue updates live, with an alert.
        patient.get_by_test_id("enter-waiting-room").first.click()
        patient.get_by_test_id("check-in").click()
        expect(patient.get_by_test_id("queue-position")).to_have_text("1")
        expect(patient.get_by_test_id("doctor-status")).to_have_attribute("data-status", "online")
        expect(doctor.get_by_test_id("queue-item")).to_have_count(1)
        expect(doctor.get_by_test_id("desk-alert").first).to_be_visible()
        screenshot(patient, "consultation-2-waiting")
        screenshot(doctor, "consultation-2-desk")

        # The call needs the doctor's identity re-check; then the patient's phone rings.
        doctor.get_by_test_id("call-next").click()
        expect(doctor).to_have_url(f"{asgi_server.url}/staff/confirm-identity/?next=%2Fstaff%2Fdesk%2F")
        doctor.locator("input[name=password]").fill(PASSWORD)
        doctor.get_by_test_id("submit-password").click()
        expect(doctor).to_have_url(f"{asgi_server.url}/staff/desk/")
        doctor.get_by_test_id("call-next").click()
        expect(patient.get_by_test_id("ringing")).to_be_visible()
        screenshot(patient, "consultation-3-ringing")
        room_sockets = []  # the patient's room sockets, passed through so that the test can cut one

        def pass_through(socket):
            socket.connect_to_server()
            room_sockets.append(socket)

        patient.route_web_socket(re.compile(r".*/ws/consultations/.*"), pass_through)
        patient.get_by_test_id("answer").click()
        expect(patient).to_have_url(f"{asgi_server.url}/p/consultations/{appointment.consultation.public_id}/")
        doctor.get_by_test_id("enter-room").click()

        # Video both ways: frames arrive and time runs on both sides.
        for page in (patient, doctor):
            page.get_by_test_id("remote-video").evaluate(VIDEO_PLAYING)
        expect(doctor.get_by_test_id("recording")).to_be_visible()

        # Mute and camera toggles switch the patient's own tracks off and on again.
        own_track = (
            "(kind) => document.getElementById('local-video').srcObject.getTracks().find(t => t.kind === kind).enabled"
        )
        for button, kind in (("toggle-mic", "audio"), ("toggle-camera", "video")):
            patient.get_by_test_id(button).click()
            assert patient.evaluate(own_track, kind) is False
            expect(patient.get_by_test_id(button)).to_have_attribute("aria-pressed", "true")
            patient.get_by_test_id(button).click()
            assert patient.evaluate(own_track, kind) is True

        # Chat both ways, live.
        patient.get_by_test_id("chat-input").fill("医生您好，最近血压偏高")
        patient.get_by_test_id("chat-send").click()
        expect(doctor.get_by_test_id("chat-message").filter(has_text="最近血压偏高")).to_be_visible()
        doctor.get_by_test_id("chat-input").fill("请继续按时服药，一周后复查")
        doctor.get_by_test_id("chat-send").click()
        expect(patient.get_by_test_id("chat-message").filter(has_text="一周后复查")).to_be_visible()
        # A network drop on the patient's side (the socket cut under the page): it comes back by itself.
        room_sockets[-1].close(code=1006)
        expect(patient.get_by_test_id("call-state")).to_have_attribute("data-state", "reconnecting")
        expect(patient.get_by_test_id("call-state")).not_to_have_attribute("data-state", "reconnecting")
        assert len(room_sockets) == 2  # a new socket, made by the page itself
        patient.get_by_test_id("chat-input").fill("网络恢复了")
        patient.get_by_test_id("chat-send").click()
        expect(doctor.get_by_test_id("chat-message").filter(has_text="网络恢复了")).to_be_visible()
        patient.get_by_test_id("remote-video").evaluate(VIDEO_PLAYING)
        wait_until(
            lambda: RecordingChunk.objects.filter(recording__consultation__appointment=appointment).exists(),
            what="the first 5-second recording chunk stored",
        )
        screenshot(patient, "consultation-4-room-patient")
        screenshot(doctor, "consultation-4-room-doctor")

        # The doctor completes; the recording's last chunk is uploaded first and the take assembled.
        asked = []
        doctor.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        doctor.get_by_test_id("complete").click()
        expect(doctor).to_have_url(f"{asgi_server.url}/staff/desk/")
        expect(patient.get_by_test_id("ended-banner")).to_be_visible()
        assert len(asked) == 1, "ending the visit asks the doctor first"
        consultation = Consultation.objects.get(appointment=appointment)
        assert consultation.status == "completed"
        wait_until(
            lambda: Recording.objects.filter(consultation=consultation, assembled_at__isnull=False).exists(),
            what="the recording assembled",
        )
        recording = Recording.objects.get(consultation=consultation)
        data = recording.file.read()
        assert data.startswith(webm.EBML_MAGIC)
        assert recording.duration_ms > 3000 and recording.chunk_count >= 2
        assert recording.missing_chunks == ""
    finally:
        patient_context.close()
        doctor_context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_patient_without_a_camera_talks_by_sound_and_is_referred_in_person(
    media_browser, asgi_server, alice, dr_bob, screenshot
):
    """Audio-only fallback, then the follow-up-only rule: a problem that needs a first visit is referred in
    person, with the reason."""
    from ihospital.accounts.identity import staff_identity_confirm
    from ihospital.audit.services import Actor
    from ihospital.consultations.services import consultation_call, consultation_check_in

    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    consultation = consultation_check_in(patient=alice, appointment=appointment, actor=Actor.of(alice))
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    consultation_call(doctor=dr_bob, consultation=consultation, actor=Actor.of(dr_bob))
    patient_context = signed_in_context(media_browser, asgi_server, alice, **PHONE)
    doctor_context = signed_in_context(media_browser, asgi_server, dr_bob, **DESK)
    try:
        # The patient refused the camera (or has none): the call goes ahead with sound only.
        patient_context.add_init_script(CAMERA_REFUSED)
        patient, doctor = patient_context.new_page(), doctor_context.new_page()
        patient.goto(f"/p/appointments/{appointment.public_id}/waiting-room/")
        patient.get_by_test_id("answer").click()
        doctor.goto(f"/staff/consultations/{consultation.public_id}/")
        expect(patient.locator("body")).to_have_attribute("data-audio-only", "true")
        for page in (patient, doctor):
            expect(page.get_by_test_id("call-state")).to_have_attribute("data-state", "connected")
        patient.get_by_test_id("remote-video").evaluate(VIDEO_PLAYING)  # the doctor is still seen
        doctor.get_by_test_id("refer-reason").fill("新发胸痛，需到院首诊")
        doctor.once("dialog", lambda dialog: dialog.accept())  # ending asks first
        doctor.get_by_test_id("refer").click()
        expect(doctor).to_have_url(f"{asgi_server.url}/staff/desk/")
        expect(patient.locator("#referred-note")).to_be_visible()
        expect(patient.locator("#referred-note")).to_contain_text("新发胸痛，需到院首诊")
        screenshot(patient, "consultation-referred")
        consultation.refresh_from_db()
        assert (consultation.status, consultation.referral_reason) == ("referred", "新发胸痛，需到院首诊")
    finally:
        patient_context.close()
        doctor_context.close()
