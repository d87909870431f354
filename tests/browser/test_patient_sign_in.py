"""A new patient signs in with an SMS code and registers a visit person, on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from ihospital.accounts.idcard import check_character
from ihospital.accounts.models import User, VisitPerson
from ihospital.integrations.models import SandboxSms

NEW_PHONE = "13900001234"  # not a persona: the first sign-in creates the account
FIRST17 = "320505" + "19850312" + "123"  # Suzhou, born 1985-03-12 (an adult: no guardian needed)
VALID_ID = FIRST17 + check_character(FIRST17)
INVALID_ID = FIRST17 + next(c for c in "0123456789X" if c != VALID_ID[-1])  # wrong check character


def sms_code_sent_to(phone: str) -> str:
    texts = list(SandboxSms.objects.filter(phone=phone).values_list("text", flat=True))
    assert len(texts) == 1, texts
    match = re.search(r"\b(\d{6})\b", texts[0])
    assert match, texts[0]
    return match.group(1)


@pytest.mark.browser
def test_patient_signs_in_with_sms_code_adds_a_visit_person_and_sees_an_error_for_an_invalid_id(
    page: Page, live_server, screenshot
):
    page.goto("/p/sign-in/")
    screenshot(page, "patient-sign-in")
    page.locator("[name=phone]").fill(NEW_PHONE)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    screenshot(page, "patient-sign-in-code-sent")

    page.locator("[name=code]").fill(sms_code_sent_to(NEW_PHONE))
    page.get_by_test_id("verify-code").click()
    # A first sign-in: the privacy notice, and two separate consents (PIPL: health data is sensitive).
    expect(page.get_by_test_id("consent")).to_be_visible()
    screenshot(page, "patient-sign-in-consent")
    page.get_by_test_id("consent-notice").check()
    page.get_by_test_id("verify-code").click()
    expect(page.get_by_test_id("error-consent")).to_be_visible()  # the health-data consent is not implied
    page.get_by_test_id("consent-health").check()
    page.get_by_test_id("verify-code").click()
    expect(page).to_have_url(f"{live_server.url}/p/")
    expect(page.get_by_test_id("visit-persons")).to_be_visible()
    expect(page.get_by_test_id("visit-person")).to_have_count(0)

    page.get_by_test_id("add-visit-person").click()
    expect(page).to_have_url(f"{live_server.url}/p/visit-persons/new/")
    page.locator("[name=relationship]").select_option("self")
    page.locator("[name=name]").fill("张伟")
    page.locator("[name=id_number]").fill(INVALID_ID)
    page.locator("[name=phone]").fill(NEW_PHONE)
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("error-id_number")).to_be_visible()
    expect(page.locator("[name=name]")).to_have_value("张伟")  # the rest of the input is kept
    screenshot(page, "patient-visit-person-invalid-id")
    assert not VisitPerson.objects.filter(account__in=User.objects.matching(phone=NEW_PHONE)).exists()

    page.locator("[name=id_number]").fill(VALID_ID)
    page.get_by_test_id("save").click()
    expect(page).to_have_url(f"{live_server.url}/p/")
    expect(page.get_by_test_id("visit-person")).to_have_count(1)
    expect(page.get_by_test_id("visit-person")).to_contain_text("张伟")
    screenshot(page, "patient-visit-persons")
    assert VisitPerson.objects.get(account__in=User.objects.matching(phone=NEW_PHONE)).id_number == VALID_ID


@pytest.mark.browser
def test_a_reload_keeps_the_code_field_and_the_resend_wait_counts_down(page: Page, live_server, screenshot, alice):
    page.goto("/p/sign-in/")
    page.locator("[name=phone]").fill(alice.phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()

    page.reload()  # the page after sending is a GET (post/redirect/get), so this sends nothing again
    expect(page.get_by_test_id("code-pending")).to_be_visible()
    resend = page.get_by_test_id("send-code")
    expect(resend).to_be_disabled()
    first = int(resend.get_attribute("data-resend-left"))
    expect(resend).not_to_have_attribute("data-resend-left", str(first))  # it counts down by itself
    assert int(resend.get_attribute("data-resend-left")) < first
    screenshot(page, "patient-sign-in-reloaded")

    page.locator("[name=code]").fill(sms_code_sent_to(alice.phone))  # the code already received
    page.get_by_test_id("verify-code").click()
    expect(page.get_by_test_id("consent")).to_be_visible()  # alice never consented to this notice
    page.get_by_test_id("consent-notice").check()
    page.get_by_test_id("consent-health").check()
    page.get_by_test_id("verify-code").click()
    expect(page).to_have_url(f"{live_server.url}/p/")
