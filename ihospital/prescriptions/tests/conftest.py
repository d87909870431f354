"""alice's consultation with dr_bob, started, with a signed medical record (diagnosis I10, 原发性高血压);
dr_bob and carol can sign (ca_init ran, PINs set)."""

import pytest

from ihospital.audit.services import Actor
from ihospital.consultations.tests import conftest as room
from ihospital.records.services import record_open, record_sign
from ihospital.records.tests.conftest import PIN, written
from ihospital.signatures import services as signatures

# The room's fixtures: an accepted booking, dr_bob's identity check, the consultation in progress.
no_leftover_tasks = room.no_leftover_tasks
commit = room.commit
accepted = room.accepted
confirmed_bob = room.confirmed_bob
in_progress = room.in_progress


@pytest.fixture
def can_sign(db, dr_bob, carol):
    signatures.ca_setup(actor=Actor.system("test"))
    for signer in (dr_bob, carol):
        signatures.signing_pin_set(holder=signer, current_pin=None, new_pin=PIN, actor=Actor.of(signer))
    return dr_bob


@pytest.fixture
def signed_record(in_progress, dr_bob, can_sign):
    """The consultation's record, signed with the diagnoses I10 (hypertension) and J06.9 (URTI)."""
    version = record_open(doctor=dr_bob, consultation=in_progress, actor=Actor.of(dr_bob))
    version = written(version, dr_bob, diagnoses=["I10", "J06.9"])
    return record_sign(doctor=dr_bob, version=version, revision=version.revision, pin=PIN, actor=Actor.of(dr_bob))


@pytest.fixture(autouse=True)
def fresh_catalogue():
    """Each test reads the HIS catalogue of its own simulated HIS."""
    from ihospital.prescriptions.selectors import catalogue

    catalogue.forget()
    yield
    catalogue.forget()
