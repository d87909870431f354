"""alice's consultation with dr_bob, started; dr_bob can sign (ca_init ran, PIN set)."""

import pytest

from ihospital.audit.services import Actor
from ihospital.consultations.tests import conftest as room
from ihospital.records.services import RecordContent, record_draft_save, record_open
from ihospital.signatures import services as signatures

PIN = "246810"

# The room's fixtures: an accepted booking, dr_bob's identity check, the consultation in progress.
no_leftover_tasks = room.no_leftover_tasks
commit = room.commit
accepted = room.accepted
confirmed_bob = room.confirmed_bob
in_progress = room.in_progress


@pytest.fixture
def can_sign(db, dr_bob):
    signatures.ca_setup(actor=Actor.system("test"))
    signatures.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    return dr_bob


@pytest.fixture
def draft(in_progress, dr_bob):
    return record_open(doctor=dr_bob, consultation=in_progress, actor=Actor.of(dr_bob))


def written(version, doctor, **changes):
    values = {
        "chief_complaint": "咳嗽、咽痛三天",
        "present_illness": "三天前受凉后出现咽痛，伴干咳，无发热。",
        "examination_notes": "视频下见咽部充血。",
        "diagnoses": ["J06.9"],
        "treatment_advice": "多饮水，注意休息。",
        "follow_up_advice": "三天无好转或发热请线下就诊。",
    }
    values.update(changes)
    return record_draft_save(
        doctor=doctor,
        version=version,
        content=RecordContent(**values),
        revision=version.revision,
        actor=Actor.of(doctor),
    )
