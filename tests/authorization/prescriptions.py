"""The prescription objects the authorization matrix builds: alice's consultation with dr_bob, its record
signed, and a prescription in the state each route needs (dr_bob and carol can sign, PIN 246810)."""

from __future__ import annotations

from decimal import Decimal

from ihospital.audit.services import Actor
from tests.authorization import world
from tests.authorization.world import World

PIN = "246810"


def consultation_with_record(w: World):
    """The consultation, its record signed (J06.9); carol can sign too."""
    signed = world.record_signed(w)
    signers_ready_carol(w)
    return signed.record.consultation


def signers_ready_carol(w: World) -> None:
    from ihospital.signatures import services

    if services.selectors.credential_current(holder=w.carol) is None:  # ca_setup ran before carol existed
        services.credential_issue(holder=w.carol, actor=Actor.system("matrix"))
    services.signing_pin_set(holder=w.carol, current_pin=None, new_pin=PIN, actor=Actor.system("matrix"))


def draft(w: World):
    """A draft with one drug (amlodipine 5 mg once a day for 7 days)."""
    from ihospital.prescriptions import rules, services

    consultation = consultation_with_record(w)
    version = services.prescription_open(doctor=w.dr_bob, consultation=consultation, actor=Actor.of(w.dr_bob))
    item = rules.Item("YP00001", Decimal(5), "mg", "qd", "po", 7)
    return services.prescription_item_add(
        doctor=w.dr_bob, version=version, item=item, revision=version.revision, actor=Actor.of(w.dr_bob)
    )


def submitted(w: World):
    from ihospital.prescriptions import services
    from ihospital.prescriptions.selectors.checks import finding_key

    version = draft(w)
    reasons = {finding_key(f): "患者长期服用，已核对" for f in version.findings if f["severity"] == "warn"}
    with w.commit():
        return services.prescription_submit(
            doctor=w.dr_bob,
            version=version,
            revision=version.revision,
            reasons=reasons,
            pin=PIN,
            actor=Actor.of(w.dr_bob),
        )


def rejected(w: World):
    from ihospital.prescriptions import services

    version = submitted(w)
    with w.commit():
        services.prescription_reject(
            pharmacist=w.carol, version=version, reason="dose", comment="请核对剂量", actor=Actor.of(w.carol)
        )
    return version


def item_fields(version) -> dict:
    return {
        "drug_code": "YP00001",
        "dose": "5",
        "dose_unit": "mg",
        "frequency": "qd",
        "route": "po",
        "days": "7",
        "revision": str(version.revision),
    }
