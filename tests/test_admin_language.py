"""The back office speaks the hospital's language: under zh-Hans every app and model name, column
header, filter, field label and object title of every admin page is Chinese; under English none of the
labels is Chinese. Walks every changelist and change form each back-office role can open."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from lxml import html

from ihospital.accounts.models import User
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.services import schedule_stop
from ihospital.consultations.tests.conftest import accepted_booking
from ihospital.core.testing.personas import make_user
from ihospital.notifications.models import Notification
from ihospital.payments.models import PaymentNotification, Refund

BACK_OFFICE_ROLES = ("hospital_admin", "security_admin", "auditor")

# What a person reads as the page's words (not the data in it): titles, app and model names, column
# headers, filters, actions, field labels and fieldset names.
LABELS = [
    "//div[@id='site-name']",
    "//div[@id='content']/h1",
    "//div[@id='content-main']//caption",
    "//div[@id='content-main']//th[@scope='row']/a",
    "//table[@id='result_list']/thead//th",
    "//*[@id='changelist-filter']//h2",
    "//*[@id='changelist-filter']//h3",
    "//*[@id='changelist-filter']//summary",
    "//select[@name='action']/option",
    "//form//label",
    "//fieldset/h2",
    "//fieldset//legend",
    "//div[contains(@class,'submit-row')]//a",
    "//div[contains(@class,'submit-row')]//input[@type='submit']/@value",
]
# Object titles (__str__): the change form's subtitle, and a changelist column that shows them.
TITLES = ["//title", "//div[@id='content']/h2", "//table[@id='result_list']/tbody//*[contains(@class,'field-__str__')]"]
ENGLISH_WORD = re.compile(r"\b[A-Za-z][A-Za-z']{2,}\b")
# Names that are the same in both languages (abbreviations a Chinese label keeps).
KEPT = {"SHA", "API", "MIME", "URL", "TOTP"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def texts(page: bytes, paths: list[str]) -> list[str]:
    tree = html.fromstring(page.decode())
    found = []
    for path in paths:
        for node in tree.xpath(path):
            text = node if isinstance(node, str) else node.text_content()
            text = " ".join(str(text).split())
            if text:
                found.append(text)
    return found


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH_WORD.findall(text) if word not in KEPT]


@pytest.fixture
def world(alice, dr_bob, django_capture_on_commit_callbacks):
    """One object of each kind the back office lists, with people's names as a hospital's would be."""

    def commit():
        return django_capture_on_commit_callbacks(execute=True)

    User.objects.filter(username="alice").update(full_name="李爱丽")
    User.objects.filter(username="dr_bob").update(full_name="王博")
    alice.refresh_from_db()
    dr_bob.refresh_from_db()
    appointment = accepted_booking(alice, dr_bob, commit)
    with commit():
        schedule_stop(
            schedule=appointment.schedule,
            reason="专家外出会诊",
            actor=Actor.system("test"),
        )
    TOTPDevice.objects.create(user=dr_bob, name="手机", confirmed=True)
    assert Refund.objects.exists() and PaymentNotification.objects.exists() and Notification.objects.exists()
    assert AuditEvent.objects.exists()
    return appointment


def pages_for(client, role: str):
    """Every admin page ``role`` may open: the index, each changelist, and each model's first change form."""
    yield reverse("admin:index")
    request = type("R", (), {"user": User.objects.get(username=f"bo_{role}")})()
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_module_permission(request):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:{}_{}_changelist".format(*info))
        first = model_admin.get_queryset(request).first()
        if first is not None:
            yield reverse("admin:{}_{}_change".format(*info), args=[first.pk])
        if model_admin.has_add_permission(request):
            yield reverse("admin:{}_{}_add".format(*info))


def signed_in(client, role: str, language: str):
    user = make_user(f"bo_{role}", role, full_name=f"后台{BACK_OFFICE_ROLES.index(role)}", language=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", BACK_OFFICE_ROLES)
def test_every_admin_page_is_wholly_chinese_under_zh_hans(client, world, role):
    client = signed_in(client, role, "zh-hans")
    untranslated = {}
    for url in pages_for(client, role):
        response = client.get(url)
        assert response.status_code == 200, url
        for text in texts(response.content, LABELS + TITLES):
            if english_in(text):
                untranslated.setdefault(url, []).append(text)
    assert not untranslated, json.dumps(untranslated, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("role", BACK_OFFICE_ROLES)
def test_every_admin_label_is_english_under_en(client, world, role):
    client = signed_in(client, role, "en")
    untranslated = {}
    for url in pages_for(client, role):
        response = client.get(url)
        assert response.status_code == 200, url
        for text in texts(response.content, LABELS):
            if HAN.search(text):
                untranslated.setdefault(url, []).append(text)
    assert not untranslated, json.dumps(untranslated, ensure_ascii=False, indent=1)


@pytest.mark.parametrize(("language", "expected"), [("en", "Online clinic cancelled"), ("zh-hans", "在线门诊已停诊")])
def test_the_notifications_list_shows_each_title_in_the_readers_language(client, world, language, expected):
    """A notice is stored with its source text: the auditor reads its title in their own language, whatever
    language its recipient reads in (alice's copy was written in Chinese) — not a code or a msgid."""
    assert Notification.objects.filter(user__username="alice", kind="appointment.schedule_stopped").exists()
    signed_in(client, "auditor", language)
    page = client.get(reverse("admin:notifications_notification_changelist")).content
    titles = texts(page, ["//table[@id='result_list']/tbody//*[contains(@class,'field-title_shown')]"])
    assert expected in titles
    assert not [title for title in titles if "appointment." in title or "schedule_stopped" in title]


def test_a_security_alert_is_shown_in_each_administrators_language(secadmin):
    from ihospital.notifications.handlers import security_alert_from_outbox

    User.objects.filter(pk=secadmin.pk).update(language="zh-hans")
    payload = {"kind": "staff_sign_in_attack", "username": "dr_bob", "failures": 30}
    security_alert_from_outbox(payload, "security.alert:test")
    alert = Notification.objects.get(user=secadmin)
    assert alert.title == "账号 dr_bob 正遭受密码猜测"  # the copy stored as first sent, in the recipient's language
    from django.utils.translation import override

    with override("en"):
        assert alert.shown_title == "Password guessing against dr_bob"


def test_the_notifications_filter_names_each_kind_by_its_title_not_its_code(client, world):
    signed_in(client, "auditor", "en")
    page = client.get(reverse("admin:notifications_notification_changelist")).content
    options = texts(page, ["//*[@id='changelist-filter']//li/a"])
    assert "Online clinic cancelled" in options
    assert not [option for option in options if option.startswith(("appointment.", "schedule."))], options
