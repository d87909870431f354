"""Builders for the prescription service tests: drugs of the simulated HIS and the steps of the flow."""

from __future__ import annotations

from decimal import Decimal

from ihospital.audit.services import Actor
from ihospital.prescriptions import rules, services
from ihospital.prescriptions.tests.helpers import drug
from ihospital.records.tests.conftest import PIN


def amlodipine(dose="5", unit="mg", frequency="qd", days=7, quantity=None, route="po") -> rules.Item:
    """苯磺酸氨氯地平片 5mg×7片/盒 (YP00001): 5 mg once a day for 7 days is one box, and no finding."""
    code = drug("苯磺酸氨氯地平片", "5mg").code
    return rules.Item(code, Decimal(dose), unit, frequency, route, days, quantity)


def too_much_amlodipine() -> rules.Item:
    """10 mg twice a day: above the highest daily dose (a warning that needs the doctor's reason)."""
    return amlodipine(dose="10", frequency="bid")


def opened(doctor, consultation):
    return services.prescription_open(doctor=doctor, consultation=consultation, actor=Actor.of(doctor))


def added(doctor, version, item):
    return services.prescription_item_add(
        doctor=doctor, version=version, item=item, revision=version.revision, actor=Actor.of(doctor)
    )


def submitted(doctor, version, reasons=None, pin=PIN):
    return services.prescription_submit(
        doctor=doctor,
        version=version,
        revision=version.revision,
        reasons=reasons or {},
        pin=pin,
        actor=Actor.of(doctor),
    )


def warn_keys(version) -> list[str]:
    from ihospital.prescriptions.selectors.checks import finding_key

    return [finding_key(f) for f in version.findings if f["severity"] == "warn"]
