import pytest

from ihospital.audit.services import Actor
from ihospital.integrations.ca.base import ECDSA_P256_SHA256, SM2_SM3
from ihospital.signatures import services

PIN = "246810"


@pytest.fixture(params=[ECDSA_P256_SHA256, SM2_SM3])
def algorithm(request, settings):
    settings.SIGNATURE_ALGORITHM = request.param
    return request.param


@pytest.fixture
def ready(db, dr_bob, carol, algorithm):
    """ca_init ran; dr_bob has set his signing PIN."""
    services.ca_setup(actor=Actor.system("test"))
    services.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    return dr_bob


def sign(signer, *, version=1, payload=None, pin=PIN, document_id="0b5a9a36-3c59-4f0c-9d0f-3f8e9e8a3c11"):
    return services.document_sign(
        signer=signer,
        document_type="medical_record",
        document_id=document_id,
        version=version,
        payload=payload if payload is not None else {"chief_complaint": "头痛三天", "diagnoses": ["G44.2"]},
        pin=pin,
        actor=Actor.of(signer),
    )
