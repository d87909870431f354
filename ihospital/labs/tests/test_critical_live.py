"""A critical value (危急值) reaches the ordering doctor's open desk live, and his message centre, through the
real ASGI application (channel layer, session auth, routing); the patient hears nothing of the doctor's."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from ihospital.consultations.tests.test_consumers import DESK, connected, next_event
from ihospital.integrations.his.simulated import relay
from ihospital.labs.models import CriticalAlert
from ihospital.labs.tests.factories import pay, place
from ihospital.notifications.tests.ws import session_headers

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_critical_value_alerts_the_ordering_doctors_desk_and_messages_at_once(
    signed_record, in_progress, dr_bob, alice, commit, his_sim
):
    lab, _exam = sorted(place(dr_bob, in_progress, commit), key=lambda order: order.kind != "lab")
    lab = pay(lab, alice, commit)
    his_sim.perform(lab.his_request_no, "critical")
    bob_headers = session_headers(dr_bob)

    async def scenario():
        desk = await connected(DESK, bob_headers)
        messages = await connected("/ws/notifications/", bob_headers)
        await messages.receive_json()  # the unread count on connect
        pushed = await database_sync_to_async(relay.push_pending)(his_sim)
        assert pushed.delivered == 1
        alert = await next_event(desk, "desk")
        while not alert["alert"]:  # the desk's own refreshes carry no alert text
            alert = await next_event(desk, "desk")
        assert "危急值" in alert["alert"] and "总胆红素" in alert["alert"]
        note = await messages.receive_json()
        assert note["event"] == "notification" and note["kind"] == "report.critical_alert"
        critical = await database_sync_to_async(CriticalAlert.objects.get)()
        assert note["link"] == f"/staff/critical-alerts/{critical.public_id}/"
        await desk.close()
        await messages.close()

    async_to_sync(scenario)()
