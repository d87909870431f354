"""The patient's address book: validated fields (all problems reported at once), one default, a limit,
edits and retirement audited, and nobody reaches another patient's addresses."""

from __future__ import annotations

import pytest
from django.db import connection

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.fulfilment import services
from ihospital.fulfilment.models import Address
from ihospital.fulfilment.tests.conftest import address_input

pytestmark = pytest.mark.django_db


def test_the_first_address_is_the_default_and_the_phone_is_kept_encrypted(alice, alice_address):
    assert alice_address.is_default and alice_address.region == "上海市 徐汇区"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM fulfilment_address WHERE id = %s", [alice_address.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1$") and Address.objects.get(pk=alice_address.pk).phone == "13800000001"
    assert AuditEvent.objects.filter(action="address.created", target_id=str(alice_address.public_id)).exists()


def test_every_bad_field_is_named_at_once(alice):
    bad = address_input(recipient="<b>", phone="12345", province="火星", city="1", district="", detail="x")
    with pytest.raises(DomainError) as refused:
        services.address_create(account=alice, data=bad, actor=Actor.of(alice))
    assert refused.value.code == "fulfilment.address_invalid"
    assert set(refused.value.fields) == {"recipient", "phone", "province", "city", "district", "detail"}
    assert not Address.objects.exists()


def test_a_phone_in_another_format_is_normalised(alice):
    address = services.address_create(
        account=alice, data=address_input(phone="+86 138-0000-0009"), actor=Actor.of(alice)
    )
    assert address.phone == "13800000009"


def test_a_new_default_takes_over_and_retiring_the_default_passes_it_on(alice, alice_address):
    second = services.address_create(
        account=alice, data=address_input(detail="漕溪北路 88 号 1 单元 101", is_default=True), actor=Actor.of(alice)
    )
    alice_address.refresh_from_db()
    assert second.is_default and not alice_address.is_default
    services.address_retire(address=second, actor=Actor.of(alice))
    alice_address.refresh_from_db()
    assert alice_address.is_default and Address.objects.get(pk=second.pk).retired_at is not None
    with pytest.raises(DomainError) as again:
        services.address_retire(address=second, actor=Actor.of(alice))
    assert again.value.code == "fulfilment.address_retired"


def test_the_book_holds_a_limited_number_of_addresses(alice, settings):
    settings.ADDRESSES_PER_ACCOUNT = 2
    for number in range(2):
        services.address_create(
            account=alice, data=address_input(detail=f"宛平南路 {number + 1} 号"), actor=Actor.of(alice)
        )
    with pytest.raises(DomainError) as refused:
        services.address_create(account=alice, data=address_input(), actor=Actor.of(alice))
    assert refused.value.code == "fulfilment.address_limit"


def test_an_edit_is_saved_and_audited(alice, alice_address):
    services.address_update(address=alice_address, data=address_input(recipient="王小明"), actor=Actor.of(alice))
    alice_address.refresh_from_db()
    assert alice_address.recipient == "王小明"
    assert AuditEvent.objects.filter(action="address.updated").exists()


def test_the_pages_add_edit_and_remove_an_address(client, alice):
    client.force_login(alice)
    form = {"recipient": "艾丽斯", "phone": "13800000001", "province": "上海市", "city": "上海市",
            "district": "徐汇区", "detail": "宛平南路 600 号"}  # fmt: skip
    assert client.post("/p/addresses/new/", form).status_code == 302
    address = Address.objects.get()
    assert "宛平南路 600 号" in client.get("/p/addresses/").content.decode()
    bad = client.post(f"/p/addresses/{address.public_id}/", {**form, "phone": "123"})
    assert bad.status_code == 200 and 'data-testid="error-phone"' in bad.content.decode()
    assert client.post(f"/p/addresses/{address.public_id}/remove/").status_code == 302
    assert "宛平南路" not in client.get("/p/addresses/").content.decode()


def test_another_patient_gets_404_for_alices_address(client, mallory, alice_address):
    client.force_login(mallory)
    assert client.get(f"/p/addresses/{alice_address.public_id}/").status_code == 404
    assert client.post(f"/p/addresses/{alice_address.public_id}/remove/").status_code == 404
    alice_address.refresh_from_db()
    assert alice_address.retired_at is None
