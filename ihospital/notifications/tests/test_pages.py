"""The message centres through Django's test client: each person sees only their own messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ihospital.notifications import selectors
from ihospital.notifications.services import notification_send

pytestmark = pytest.mark.django_db


def send(user, key: str, title: str, link: str = "/p/appointments/"):
    return notification_send(user=user, kind="appointment.accepted", title=title, body="", link=link, dedupe_key=key)


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def inboxes(alice, mallory, dr_bob):
    return {
        "alice": send(alice, "a1", "Alice's booking accepted"),
        "mallory": send(mallory, "m1", "Mallory's booking accepted"),
        "dr_bob": send(dr_bob, "b1", "A new booking request", link="/staff/review/"),
    }


def test_a_patient_sees_only_her_own_messages_newest_first(en, alice, inboxes):
    send(alice, "a2", "Payment received")
    en.force_login(alice)
    page = en.get(reverse("notifications:patient_messages")).content.decode()
    assert page.index("Payment received") < page.index("Alice&#x27;s booking accepted")
    assert "Mallory" not in page
    assert page.count('data-testid="message"') == 2 and page.count('data-state="unread"') == 2
    assert 'data-testid="unread-badge"' in page  # the nav's badge


def test_mallory_never_sees_or_opens_alices_message(en, mallory, inboxes):
    en.force_login(mallory)
    page = en.get(reverse("notifications:patient_messages")).content.decode()
    assert "Alice" not in page and "Mallory&#x27;s booking accepted" in page
    alices = inboxes["alice"]
    assert en.get(reverse("notifications:patient_open", args=[alices.public_id])).status_code == 404
    assert selectors.unread_count(alices.user) == 1


def test_opening_a_message_marks_it_read_and_follows_its_link(en, alice, inboxes):
    en.force_login(alice)
    opened = en.get(reverse("notifications:patient_open", args=[inboxes["alice"].public_id]))
    assert opened.status_code == 302 and opened["Location"] == "/p/appointments/"
    assert selectors.unread_count(alice) == 0
    page = en.get(reverse("notifications:patient_messages")).content.decode()
    assert 'data-state="unread"' not in page and 'data-testid="mark-all-read"' not in page


def test_mark_all_read(en, alice, mallory, inboxes):
    send(alice, "a2", "Payment received")
    en.force_login(alice)
    done = en.post(reverse("notifications:patient_mark_all_read"))
    assert done.status_code == 302 and done["Location"] == reverse("notifications:patient_messages")
    assert selectors.unread_count(alice) == 0 and selectors.unread_count(mallory) == 1
    assert en.get(reverse("notifications:patient_mark_all_read")).status_code == 405


def test_staff_have_their_own_message_centre(en, dr_bob, inboxes):
    en.force_login(dr_bob)
    page = en.get(reverse("notifications:staff_messages")).content.decode()
    assert "A new booking request" in page and "Alice" not in page
    opened = en.get(reverse("notifications:staff_open", args=[inboxes["dr_bob"].public_id]))
    assert opened["Location"] == "/staff/review/"


@pytest.mark.parametrize(
    ("who", "url_name", "sign_in"),
    [
        ("dr_bob", "notifications:patient_messages", "/p/sign-in/"),
        ("alice", "notifications:staff_messages", "/staff/sign-in/"),
    ],
)
def test_each_message_centre_is_for_its_own_people(en, request, who, url_name, sign_in):
    """Visitors are sent to their area's sign-in; a signed-in user of the other area is refused (403)."""
    url = reverse(url_name)
    anonymous = en.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(sign_in)
    en.force_login(request.getfixturevalue(who))
    assert en.get(url).status_code == 403


def test_signed_in_pages_load_the_live_script_and_anonymous_ones_do_not(en, alice):
    assert "notifications/live.js" not in en.get(reverse("web:home")).content.decode()
    en.force_login(alice)
    page = en.get(reverse("accounts:patient_home")).content.decode()
    assert "notifications/live.js" in page and 'id="live-banner-template"' in page
    assert 'data-testid="live-banner"' in page and 'role="status"' in page
