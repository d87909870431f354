"""A released prescription from the patient's phone to their door or the pharmacy counter: chosen and paid
(the payable), transferred to the HIS pharmacy exactly once (stock reserved), dispensed, handed to the
courier and delivered (or failed and sent again), or readied for pickup and handed over against the code
(wrong codes refused, limited, audited); each step a compare-and-set move, audited, the patient told."""

from __future__ import annotations

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.fulfilment import services
from ihospital.fulfilment.models import Fulfilment, Shipment
from ihospital.fulfilment.tests.conftest import address_input
from ihospital.integrations.courier.sandbox import control, route
from ihospital.integrations.his.simulated import pharmacy as sim_pharmacy
from ihospital.integrations.models import SandboxShipment
from ihospital.notifications.models import Notification
from ihospital.payments.models import PaymentOrder
from ihospital.prescriptions.models import Prescription

pytestmark = pytest.mark.django_db(transaction=True)
S = Prescription.Status


def pay_as_alice(client, alice, rx) -> PaymentOrder:
    """Alice presses Pay on her prescription and confirms at the sandbox cashier."""
    client.force_login(alice)
    to_cashier = client.post(f"/p/prescriptions/{rx.public_id}/pay/")
    assert to_cashier.status_code == 302 and "/sandbox/pay/" in to_cashier["Location"], to_cashier
    client.post(to_cashier["Location"], {"action": "confirm"})
    return PaymentOrder.objects.get(payable_kind="prescription", payable_id=str(rx.public_id))


@pytest.fixture
def delivery_paid(client, alice, released, pharmacies):
    address = services.address_create(account=alice, data=address_input(), actor=Actor.of(alice))
    client.force_login(alice)
    client.post(f"/p/prescriptions/{released.public_id}/choose/", {"method": "delivery", "address": address.public_id})
    order = pay_as_alice(client, alice, released)
    assert order.status == PaymentOrder.Status.PAID
    released.refresh_from_db()
    return released


def test_paying_moves_it_to_paid_and_transfers_it_to_the_his_pharmacy_once(delivery_paid, his_sim):
    rx = delivery_paid
    fulfilment = Fulfilment.objects.get(prescription=rx)
    assert rx.status == S.PAID and rx.paid_at and rx.payment_order_public_id
    assert fulfilment.his_dispense_no.startswith("FY") and fulfilment.pharmacy.his_code == "YF03"
    assert his_sim.count("dispense", prescription_no=str(rx.public_id)) == 1
    assert his_sim.deliveries(f"FY-{rx.public_id}") == 1
    assert AuditEvent.objects.filter(action="prescription.his_transferred", target_id=str(rx.public_id)).exists()
    assert Notification.objects.filter(kind="prescription.paid").exists()


def test_the_transfer_reserves_the_stock_of_each_item(client, alice, released, pharmacies, his_sim):
    version = released.versions.get()
    codes = [(i.drug_code, i.quantity) for i in version.items.all()]
    before = {code: sim_pharmacy.stock(his_sim.connect(), code, "YF03") for code, _q in codes}
    address = services.address_create(account=alice, data=address_input(), actor=Actor.of(alice))
    services.fulfilment_choose(
        prescription=released, method="delivery", address=address, pharmacy=None, actor=Actor.of(alice)
    )
    pay_as_alice(client, alice, released)
    assert {code: sim_pharmacy.stock(his_sim.connect(), code, "YF03") for code, _q in codes} == {
        code: before[code] - quantity for code, quantity in codes
    }


def test_pay_needs_a_choice_first(client, alice, released):
    client.force_login(alice)
    answer = client.post(f"/p/prescriptions/{released.public_id}/pay/", follow=True)
    assert "fulfilment.choose_first" not in answer.content.decode()  # shown as its message, not its code
    assert not PaymentOrder.objects.filter(payable_kind="prescription").exists()
    with pytest.raises(DomainError) as refused:
        services.prescription_pay(prescription=released, payer=alice, actor=Actor.of(alice))
    assert refused.value.code == "fulfilment.choose_first"


def _advance(shipment: Shipment) -> None:
    route.advance(SandboxShipment.objects.get(order_no=shipment.order_no).pk)
    shipment.refresh_from_db()


def test_dispensed_handed_to_the_courier_and_delivered_the_patient_sees_the_tracking(
    client, alice, carol, delivery_paid
):
    rx = delivery_paid
    services.prescription_dispense(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    shipment = services.prescription_ship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    shipment.refresh_from_db()
    assert shipment.waybill_no.startswith("SF") and shipment.status == Shipment.Status.CREATED
    for _step in range(3):
        _advance(shipment)
    rx.refresh_from_db()
    assert rx.status == S.DELIVERED and rx.completed_at is not None
    page = client.get(f"/p/prescriptions/{rx.public_id}/").content.decode()
    assert shipment.waybill_no in page and page.count('data-testid="tracking-event"') == 3
    assert 'data-status="delivered"' in page
    kinds = set(Notification.objects.filter(user=alice).values_list("kind", flat=True))
    assert {"prescription.paid", "prescription.shipped", "prescription.delivered"} <= kinds
    actions = set(AuditEvent.objects.filter(target_id=str(rx.public_id)).values_list("action", flat=True))
    assert {"prescription.dispensed", "prescription.shipped", "prescription.delivered"} <= actions


def test_a_failed_delivery_is_handed_to_the_courier_again_and_then_delivered(alice, carol, delivery_paid):
    rx = delivery_paid
    services.prescription_dispense(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    control.fault_next("fail")
    first = services.prescription_ship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    with pytest.raises(DomainError) as too_early:
        services.prescription_reship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    assert too_early.value.code == "fulfilment.delivery_not_failed"
    for _step in range(3):
        _advance(first)
    rx.refresh_from_db()
    assert first.status == Shipment.Status.FAILED and rx.status == S.SHIPPED
    assert Notification.objects.filter(user=alice, kind="prescription.delivery_failed").exists()
    second = services.prescription_reship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    assert second.order_no.endswith("-2")
    with pytest.raises(DomainError):
        services.prescription_reship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))  # once per failure
    second.refresh_from_db()
    for _step in range(3):
        _advance(second)
    rx.refresh_from_db()
    assert rx.status == S.DELIVERED


def test_duplicate_courier_callbacks_deliver_once(alice, carol, delivery_paid):
    rx = delivery_paid
    services.prescription_dispense(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    shipment = services.prescription_ship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    control.fault_next("duplicate", count=3)
    for _step in range(3):
        _advance(shipment)
    assert shipment.events.count() == 3
    assert AuditEvent.objects.filter(action="prescription.delivered", target_id=str(rx.public_id)).count() == 1
    assert Notification.objects.filter(user=alice, kind="prescription.delivered").count() == 1


def test_dispensing_waits_for_the_his_pharmacy_and_a_step_out_of_order_is_refused(alice, carol, delivery_paid):
    rx = delivery_paid
    with pytest.raises(DomainError) as not_yet:
        services.prescription_ship(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    assert not_yet.value.code == "fulfilment.wrong_state"
    Fulfilment.objects.filter(prescription=rx).update(his_dispense_no="")
    with pytest.raises(DomainError) as waiting:
        services.prescription_dispense(prescription=rx, pharmacist=carol, actor=Actor.of(carol))
    assert waiting.value.code == "fulfilment.not_transferred"


@pytest.fixture
def ready_for_pickup(client, alice, carol, released, pharmacies):
    client.force_login(alice)
    from ihospital.fulfilment.models import Pharmacy

    yf01 = Pharmacy.objects.get(his_code="YF01")
    client.post(f"/p/prescriptions/{released.public_id}/choose/", {"method": "pickup", "pharmacy": yf01.public_id})
    pay_as_alice(client, alice, released)
    released.refresh_from_db()
    services.prescription_dispense(prescription=released, pharmacist=carol, actor=Actor.of(carol))
    released.refresh_from_db()
    return released


def test_pickup_shows_a_code_and_the_right_code_hands_it_over(client, alice, carol, ready_for_pickup):
    rx = ready_for_pickup
    fulfilment = Fulfilment.objects.get(prescription=rx)
    assert rx.status == S.READY_FOR_PICKUP and len(fulfilment.pickup_code) == 8
    page = client.get(f"/p/prescriptions/{rx.public_id}/").content.decode()
    assert fulfilment.pickup_code in page and "<svg" in page and "门诊西药房" in page
    handed = services.prescription_pick_up(code=fulfilment.pickup_code, pharmacist=carol, actor=Actor.of(carol))
    assert handed.status == S.PICKED_UP
    assert Notification.objects.filter(user=alice, kind="prescription.picked_up").exists()
    with pytest.raises(DomainError) as again:  # the same code twice: nothing waits with it any more
        services.prescription_pick_up(code=fulfilment.pickup_code, pharmacist=carol, actor=Actor.of(carol))
    assert again.value.code == "fulfilment.pickup_code_unknown"


def test_wrong_pickup_codes_are_refused_audited_and_limited(carol, ready_for_pickup, settings):
    settings.PICKUP_CODE_MAX_WRONG = 3
    fulfilment = Fulfilment.objects.get(prescription=ready_for_pickup)
    wrong = f"{(int(fulfilment.pickup_code) + 1) % 10**8:08d}"
    for attempt in (wrong, "12", "abc"):
        with pytest.raises(DomainError) as refused:
            services.prescription_pick_up(code=attempt, pharmacist=carol, actor=Actor.of(carol))
        assert refused.value.code == "fulfilment.pickup_code_unknown"
    assert AuditEvent.objects.filter(action="prescription.pickup_code_wrong").count() == 3
    with pytest.raises(DomainError) as limited:  # even the right code waits now
        services.prescription_pick_up(code=fulfilment.pickup_code, pharmacist=carol, actor=Actor.of(carol))
    assert limited.value.code == "fulfilment.pickup_code_limit"
    ready_for_pickup.refresh_from_db()
    assert ready_for_pickup.status == S.READY_FOR_PICKUP


def test_the_pharmacy_console_lists_by_state_and_acts(client, carol, delivery_paid):
    client.force_login(carol)
    page = client.get("/staff/pharmacy/?state=paid").content.decode()
    assert str(delivery_paid.public_id) in page and 'data-testid="dispense"' in page
    answer = client.post(f"/staff/pharmacy/{delivery_paid.public_id}/dispense/", {"state": "paid"})
    assert answer.status_code == 302 and answer["Location"].endswith("?state=paid")
    delivery_paid.refresh_from_db()
    assert delivery_paid.status == S.DISPENSED
    assert str(delivery_paid.public_id) in client.get("/staff/pharmacy/?state=dispensed").content.decode()
    client.post(f"/staff/pharmacy/{delivery_paid.public_id}/ship/", {"state": "dispensed"})
    delivery_paid.refresh_from_db()
    assert delivery_paid.status == S.SHIPPED


def test_the_patient_reads_how_to_take_each_drug_in_words_not_the_prescribers_abbreviations(
    client, alice, released, settings
):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(alice)
    page = client.get(f"/p/prescriptions/{released.public_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "每日一次 · 口服" in page  # the builder's items are taken qd, po
    assert " qd " not in page and " po " not in page
