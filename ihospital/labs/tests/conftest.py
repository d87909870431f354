"""alice's consultation with dr_bob, started, its record signed with diagnosis J06.9; dr_bob can sign."""

import pytest

from ihospital.audit.services import Actor
from ihospital.records.services import record_sign
from ihospital.records.tests import conftest as records

PIN = records.PIN

no_leftover_tasks = records.no_leftover_tasks
commit = records.commit
accepted = records.accepted
confirmed_bob = records.confirmed_bob
in_progress = records.in_progress
can_sign = records.can_sign
draft = records.draft


@pytest.fixture
def signed_record(can_sign, draft, dr_bob):
    version = records.written(draft, dr_bob, diagnoses=["J06.9", "E11.9"])
    return record_sign(doctor=dr_bob, version=version, revision=version.revision, pin=PIN, actor=Actor.of(dr_bob))
