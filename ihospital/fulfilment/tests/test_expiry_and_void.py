"""A released prescription is valid PRESCRIPTION_VALID_DAYS days: unpaid ones expire (the periodic sweep, its
order closed, a late payment refunded in full); its doctor may void it before dispensing — a released one's
unpaid order closed, a paid one refunded in full and its HIS pharmacy reservation cancelled (stock back);
decided from the state the compare-and-set moved from."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.fulfilment import services
from ihospital.fulfilment.payables import PrescriptionPayable
from ihospital.fulfilment.tasks import fulfilment_sweep
from ihospital.fulfilment.tests.conftest import address_input
from ihospital.fulfilment.tests.test_prescription_flow import pay_as_alice
from ihospital.integrations.his.simulated import pharmacy as sim_pharmacy
from ihospital.notifications.models import Notification
from ihospital.payments.models import PaymentOrder, Refund
from ihospital.prescriptions.models import Prescription

pytestmark = pytest.mark.django_db(transaction=True)
S = Prescription.Status


def choose_delivery(alice, rx):
    address = services.address_create(account=alice, data=address_input(), actor=Actor.of(alice))
    return services.fulfilment_choose(
        prescription=rx, method="delivery", address=address, pharmacy=None, actor=Actor.of(alice)
    )


def order_of(rx) -> PaymentOrder:
    return PaymentOrder.objects.get(payable_kind="prescription", payable_id=str(rx.public_id))


def test_an_unpaid_prescription_expires_after_its_validity_and_its_order_closes(alice, released, pharmacies):
    choose_delivery(alice, released)
    services.prescription_pay(prescription=released, payer=alice, actor=Actor.of(alice))
    assert fulfilment_sweep.call_local() == 0  # still valid
    Prescription.objects.filter(pk=released.pk).update(valid_until=now() - timedelta(seconds=1))
    assert fulfilment_sweep.call_local() == 1
    released.refresh_from_db()
    assert released.status == S.EXPIRED and released.expired_at is not None
    assert order_of(released).status == PaymentOrder.Status.CLOSED
    assert AuditEvent.objects.filter(action="prescription.expired", target_id=str(released.public_id)).exists()
    assert Notification.objects.filter(user=alice, kind="prescription.expired").exists()
    assert fulfilment_sweep.call_local() == 0


def test_a_payment_after_expiry_is_refused_by_the_payable_so_payments_refunds_it(alice, released, pharmacies):
    choose_delivery(alice, released)
    Prescription.objects.filter(pk=released.pk).update(valid_until=now() - timedelta(seconds=1))
    assert PrescriptionPayable().on_paid(payable_id=str(released.public_id), order_public_id=str(uuid.uuid4())) is False
    services.prescriptions_expire_due()
    assert PrescriptionPayable().unsold(payable_ids=[str(released.public_id)]) == {str(released.public_id)}


def test_validity_is_the_setting_in_days(released, settings):
    assert released.valid_until - released.released_at == timedelta(days=settings.PRESCRIPTION_VALID_DAYS)


def test_the_doctor_voids_a_released_prescription_and_its_unpaid_order_closes(alice, dr_bob, released, pharmacies):
    choose_delivery(alice, released)
    services.prescription_pay(prescription=released, payer=alice, actor=Actor.of(alice))
    left = services.prescription_void(prescription=released, doctor=dr_bob, reason="剂量需调整", actor=Actor.of(dr_bob))
    released.refresh_from_db()
    assert left == S.RELEASED and released.status == S.VOID and released.voided_by == dr_bob
    assert order_of(released).status == PaymentOrder.Status.CLOSED
    assert not Refund.objects.exists()
    assert Notification.objects.filter(user=alice, kind="prescription.voided").exists()


def test_voiding_a_paid_prescription_refunds_it_in_full_and_returns_the_his_stock(
    client, alice, dr_bob, released, pharmacies, his_sim
):
    items = [(i.drug_code, i.quantity) for i in released.versions.get().items.all()]
    before = {code: sim_pharmacy.stock(his_sim.connect(), code, "YF03") for code, _q in items}
    choose_delivery(alice, released)
    order = pay_as_alice(client, alice, released)
    left = services.prescription_void(prescription=released, doctor=dr_bob, reason="患者要求", actor=Actor.of(dr_bob))
    assert left == S.PAID
    order.refresh_from_db()
    refund = Refund.objects.get(order=order)
    assert refund.amount_fen == order.amount_fen and order.status == PaymentOrder.Status.REFUNDED
    assert {code: sim_pharmacy.stock(his_sim.connect(), code, "YF03") for code, _q in items} == before
    audit = AuditEvent.objects.get(action="prescription.voided", target_id=str(released.public_id))
    assert audit.details["moved_from"] == "paid"


def test_a_dispensed_prescription_cannot_be_voided_and_only_its_prescriber_voids(
    client, alice, dr_bob, dr_erin, carol, released, pharmacies
):
    with pytest.raises(DomainError) as other:
        services.prescription_void(prescription=released, doctor=dr_erin, reason="不是我的", actor=Actor.of(dr_erin))
    assert other.value.code == "fulfilment.not_prescriber"
    with pytest.raises(DomainError) as no_reason:
        services.prescription_void(prescription=released, doctor=dr_bob, reason=" ", actor=Actor.of(dr_bob))
    assert no_reason.value.code == "fulfilment.void_reason"
    choose_delivery(alice, released)
    pay_as_alice(client, alice, released)
    services.prescription_dispense(prescription=released, pharmacist=carol, actor=Actor.of(carol))
    with pytest.raises(DomainError) as late:
        services.prescription_void(prescription=released, doctor=dr_bob, reason="太晚了", actor=Actor.of(dr_bob))
    assert late.value.code == "fulfilment.not_voidable"
    released.refresh_from_db()
    assert released.status == S.DISPENSED and not Refund.objects.exists()


def test_the_doctor_voids_from_the_page(client, dr_bob, released):
    client.force_login(dr_bob)
    assert client.get(f"/staff/prescriptions/{released.public_id}/void/").status_code == 200
    answer = client.post(f"/staff/prescriptions/{released.public_id}/void/", {"reason": "改用其他药物"})
    assert answer.status_code == 302
    released.refresh_from_db()
    assert released.status == S.VOID and released.void_reason == "改用其他药物"


def test_the_prescriber_finds_the_void_button_on_the_prescription_page(client, dr_bob, carol, released):
    client.force_login(dr_bob)
    page = client.get(f"/staff/prescriptions/{released.public_id}/").content.decode()
    assert f'href="/staff/prescriptions/{released.public_id}/void/"' in page
    client.force_login(carol)
    assert 'data-testid="rx-void"' not in client.get(f"/staff/prescriptions/{released.public_id}/").content.decode()
