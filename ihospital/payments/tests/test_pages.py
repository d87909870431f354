"""The payer's receipt pages and the read-only back office: only the payer sees an order."""

from __future__ import annotations

import pytest

from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.payments import selectors


def test_the_payer_reaches_her_order(order, alice):
    assert selectors.access_payment_order(user=alice, public_id=order.public_id) == order


@pytest.mark.parametrize("public_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_malformed_or_unknown_id_is_not_found(alice, public_id):
    with pytest.raises(DomainError) as refused:
        selectors.access_payment_order(user=alice, public_id=public_id)
    assert refused.value.code == "core.not_found"


def test_another_patient_is_refused_as_not_found(order, mallory):
    with pytest.raises(DomainError) as refused:
        selectors.access_payment_order(user=mallory, public_id=order.public_id)
    assert refused.value.code == "core.not_found"


def test_the_receipt_page_shows_the_order_and_lets_the_payer_pay(client, order, alice):
    client.force_login(alice)
    page = client.get(f"/payments/orders/{order.public_id}/")
    assert page.status_code == 200
    assert "¥12.00" in page.content.decode() and 'data-testid="pay-now"' in page.content.decode()

    response = client.post(f"/payments/orders/{order.public_id}/")
    assert response.status_code == 302 and response["Location"].endswith(f"/sandbox/pay/{order.out_trade_no}/")


def test_a_refusal_at_checkout_is_shown_on_the_receipt_page(client, paid, alice):
    client.force_login(alice)
    response = client.post(f"/payments/orders/{paid.public_id}/", follow=True)
    assert response.status_code == 200
    assert 'data-testid="pay-now"' not in response.content.decode()
    assert list(response.context["messages"])


def test_another_patient_gets_404_for_the_receipt_page(client, order, mallory):
    client.force_login(mallory)
    assert client.get(f"/payments/orders/{order.public_id}/").status_code == 404
    assert client.post(f"/payments/orders/{order.public_id}/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, order):
    response = client.get(f"/payments/orders/{order.public_id}/")
    assert response.status_code == 302 and response["Location"].startswith("/p/sign-in/")


def test_receipts_list_only_the_payers_paid_orders(client, paid, make_order, mallory, alice):
    make_order()  # unpaid: not a receipt
    make_order(payer=mallory)
    client.force_login(alice)
    response = client.get("/payments/receipts/")
    assert response.content.decode().count('data-testid="payment-receipt-item"') == 1
    assert [order.pk for order in selectors.payment_receipts(user=alice)] == [paid.pk]
    assert selectors.payment_receipts(user=mallory).count() == 0


def test_the_latest_order_of_a_payable_is_found_for_its_owner(order):
    assert selectors.payment_order_for_payable(payable_kind="test", payable_id=order.payable_id) == order
    assert selectors.payment_order_for_payable(payable_kind="test", payable_id="other") is None


@pytest.mark.parametrize("model", ["paymentorder", "refund", "paymentnotification"])
def test_hospital_admins_read_payments_in_the_back_office_but_can_not_change_them(admin_client_for, paid, model):
    client = admin_client_for("hospital_admin")
    assert client.get(f"/admin/payments/{model}/").status_code == 200
    assert client.get(f"/admin/payments/{model}/add/").status_code == 403
    page = client.get(f"/admin/payments/paymentorder/{paid.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


@pytest.mark.parametrize("role", ["security_admin", "auditor"])
def test_other_back_office_roles_do_not_see_payments(admin_client_for, role, db):
    assert admin_client_for(role).get("/admin/payments/paymentorder/").status_code == 403


def test_a_checkout_by_the_payer_is_audited_as_the_payer(order, alice):
    from ihospital.audit.models import AuditEvent
    from ihospital.payments import services

    services.payment_checkout(order=order, actor=Actor.of(alice))
    assert AuditEvent.objects.get(action="payment.checkout").actor_id == str(alice.public_id)
