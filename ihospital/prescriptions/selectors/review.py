"""What the pharmacists and administrators read: the review queue, review times, findings as shown, the
choices of a drug's item form, and a rule check of the current draft (the htmx check endpoint)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from ihospital.audit.services import Actor, record
from ihospital.core.time import now
from ihospital.integrations.his.base import Drug
from ihospital.prescriptions import rules
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.rules.findings import Both
from ihospital.prescriptions.rules.packaging import PackagingError, parse
from ihospital.prescriptions.selectors.checks import finding_key

Status = PrescriptionVersion.Status


def review_queue() -> QuerySet[PrescriptionVersion]:
    """Versions waiting for a pharmacist, the longest waiting first."""
    return (
        PrescriptionVersion.objects.filter(status=Status.SUBMITTED)
        .select_related(
            "prescription__visit_person", "author", "prescription__consultation__appointment__schedule__department"
        )
        .order_by("submitted_at", "id")
    )


@dataclass(frozen=True)
class ReviewTimes:
    waiting: int
    oldest_waiting: timedelta | None
    reviewed: int  # in the window
    p50: timedelta | None
    p90: timedelta | None
    days: int


def _percentile(values: list[float], pct: int) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    rank = max(1, math.ceil(len(values) * pct / 100))
    return values[rank - 1]


def review_times(*, days: int = 30) -> ReviewTimes:
    """Waiting now, and the time from submission to the pharmacist's decision over the last ``days``."""
    moment = now()
    waiting = PrescriptionVersion.objects.filter(status=Status.SUBMITTED)
    oldest = waiting.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    pairs = PrescriptionVersion.objects.filter(
        status__in=(Status.APPROVED, Status.REJECTED),
        reviewed_at__gte=moment - timedelta(days=days),
        submitted_at__isnull=False,
    ).values_list("submitted_at", "reviewed_at")
    seconds = sorted(max(0.0, (reviewed - submitted).total_seconds()) for submitted, reviewed in pairs)
    at = (lambda pct: timedelta(seconds=round(_percentile(seconds, pct)))) if seconds else (lambda pct: None)
    return ReviewTimes(
        waiting=waiting.count(),
        oldest_waiting=moment - oldest if oldest else None,
        reviewed=len(seconds),
        p50=at(50),
        p90=at(90),
        days=days,
    )


def findings_shown(findings: list[dict[str, Any]], reasons: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Stored findings with their explanation in the reader's language, their key and the doctor's reason."""
    shown = []
    for finding in findings:
        key = finding_key(finding)
        shown.append(
            {
                **finding,
                "key": key,
                "explanation": rules.render(finding["message"], finding.get("params", {})),
                "reason": (reasons or {}).get(key, ""),
                "positions": [i + 1 for i in finding.get("items", [])],
            }
        )
    return shown


def record_read_for_review(*, version: PrescriptionVersion, actor: Actor) -> None:
    """The pharmacist reads the signed record the prescription was written on: audited as a record read."""
    with transaction.atomic():
        record(
            actor=actor,
            action="record.read",
            target_type="medical_record",
            target_id=str(version.record_version.record.public_id),
            details={"version": version.record_version.number, "for_prescription": str(version.prescription.public_id)},
        )


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ItemOptions:
    drug: Drug
    units: tuple[str, ...]
    frequencies: tuple[Choice, ...]
    routes: tuple[Choice, ...]
    quantity_needed: bool  # the quantity cannot be worked out from the dose (a cream): the doctor enters it


def item_options(drug: Drug) -> ItemOptions:
    """The choices of the item form for ``drug``: the units it can be dosed in (the rule unit first), the
    frequencies, and the routes its dosage form allows."""
    book = rules.rulebook()
    product = book.products.get(drug.generic_name)
    try:
        packaging = parse(drug.strength, drug.package)
        units = packaging.units()
    except PackagingError:
        packaging, units = None, ()
    if product is not None:
        units = tuple(dict.fromkeys((product.doses.unit, *units)))
    frequencies = tuple(Choice(code, f"{code} · {Both(f.zh, f.en)}") for code, f in book.doses.frequencies.items())
    allowed = book.doses.forms.get(drug.form, list(book.doses.routes))
    routes = tuple(Choice(code, str(Both(book.doses.routes[code].zh, book.doses.routes[code].en))) for code in allowed)
    needed = packaging is None or packaging.to_pieces(1.0, units[0] if units else "") is None
    return ItemOptions(drug=drug, units=units, frequencies=frequencies, routes=routes, quantity_needed=needed)


def labels() -> tuple[dict[str, str], dict[str, str]]:
    """Frequency and route codes → their names in the reader's language."""
    book = rules.rulebook()
    return (
        {code: str(Both(f.zh, f.en)) for code, f in book.doses.frequencies.items()},
        {code: str(Both(r.zh, r.en)) for code, r in book.doses.routes.items()},
    )


def prescriptions_of_consultation(consultation_id: int) -> QuerySet[Prescription]:
    return Prescription.objects.filter(consultation_id=consultation_id).order_by("-created_at")
