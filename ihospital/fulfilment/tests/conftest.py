"""Fulfilment tests run against the courier sandbox in process: its route updates reach the callback view
through Django's test client. Parcels move only when a test moves them (``advance``), unless it sets
COURIER_SANDBOX_STEP_SECONDS to 0 (then a parcel runs its whole route at once)."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from ihospital.audit.services import Actor
from ihospital.fulfilment import services
from ihospital.prescriptions.tests import conftest as rx

# alice's consultation with dr_bob in progress, its signed record, dr_bob and carol able to sign.
accepted = rx.accepted
confirmed_bob = rx.confirmed_bob
in_progress = rx.in_progress
can_sign = rx.can_sign
signed_record = rx.signed_record


@pytest.fixture(autouse=True)
def courier_in_process(settings):
    settings.COURIER_PROVIDER = "ihospital.integrations.courier.sandbox.provider.SandboxCourier"
    settings.COURIER_SANDBOX_TRANSPORT = "ihospital.core.http.InProcessTransport"
    settings.COURIER_SANDBOX_RETRY_FACTOR = 0
    settings.COURIER_SANDBOX_STEP_SECONDS = 3600
    settings.COURIER_SECRET = "test-courier-secret"
    settings.PUBLIC_BASE_URL = "http://testserver"
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): ...`` runs what the block scheduled for after commit (outbox, sandbox tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def address_input(**changes) -> services.AddressInput:
    values = {
        "recipient": "艾丽斯",
        "phone": "13800000001",
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "detail": "宛平南路 600 号 3 号楼 502 室",
    }
    return services.AddressInput(**{**values, **changes})


@pytest.fixture
def alice_address(alice):
    return services.address_create(account=alice, data=address_input(), actor=Actor.of(alice))


@pytest.fixture
def released(in_progress, signed_record, dr_bob, carol):
    """alice's prescription, signed by dr_bob and carol, released to her (needs ``transaction=True``)."""
    from ihospital.fulfilment.tests.builders import released_prescription

    return released_prescription(in_progress, signed_record, dr_bob, carol)


@pytest.fixture
def pharmacies(db):
    return services.pharmacies_sync(actor=Actor.system("test"))
