"""Results back from the HIS (LIS values, PACS reports), applied once whichever way they come.

A report arrives pushed (``/his/push/reports/``), fetched for an order the HIS says is reported
(``reports_poll``), or fetched from the patient's HIS report list (in-person visits, ``reports_sync``).
Every path ends in ``report_apply``: the HIS's report number (报告单号) is unique here, so the second
delivery of a report — a duplicate push, a fetch racing a push, a push redelivered after a lost answer,
an old delivery arriving after a newer one — finds the row and changes nothing.

    applied = report_apply(report=lab_report, via="push")   # Applied(report, created)
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.db import transaction

from ihospital.accounts.models import VisitPerson
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.his.base import ExamReport, LabReport, ResultItem
from ihospital.labs import notify
from ihospital.labs.errors import ReportError
from ihospital.labs.models import CriticalAlert, KeyImage, LabOrder, Report, ResultValue
from ihospital.labs.services.progress import lab_order_perform, lab_order_report

logger = logging.getLogger("ihospital.labs.results")
HIS = Actor.system("his")
FLAGS = ("N", "H", "L", "HH", "LL")
_RANGE = re.compile(r"^\s*(-?[\d.]+)\s*[-~–—]\s*(-?[\d.]+)\s*$")
_UPPER = re.compile(r"^\s*[<≤]=?\s*(-?[\d.]+)\s*$")
_LOWER = re.compile(r"^\s*[>≥]=?\s*(-?[\d.]+)\s*$")
HisReport = LabReport | ExamReport


@dataclass(frozen=True)
class Applied:
    report: Report
    created: bool


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def reference_bounds(text: str) -> tuple[Decimal | None, Decimal | None]:
    """(low, high) of a printed reference range: ``3.5-9.5``, ``<5.2``, ``≥1.04``; (None, None) otherwise."""
    if match := _RANGE.match(text):
        return _number(match.group(1)), _number(match.group(2))
    if match := _UPPER.match(text):
        return None, _number(match.group(1))
    if match := _LOWER.match(text):
        return _number(match.group(1)), None
    return None, None


def _checked_values(items: tuple[ResultItem, ...]) -> list[ResultValue]:
    """The report's values, refused whole when one is a number without a unit or has an unknown flag."""
    if not items:
        raise DomainError(ReportError.EMPTY)
    values = []
    for position, item in enumerate(items):
        numeric = _number(item.value)
        if numeric is not None and not item.unit.strip():
            raise DomainError(ReportError.VALUE_WITHOUT_UNIT, item=item.name or item.code)
        if item.flag not in FLAGS:
            raise DomainError(ReportError.BAD_FLAG, item=item.name or item.code, flag=item.flag)
        low, high = reference_bounds(item.reference_range)
        values.append(
            ResultValue(
                position=position,
                code=item.code[:20],
                name=item.name[:60],
                value=item.value[:40],
                numeric=numeric,
                unit=item.unit.strip()[:20],
                reference_text=item.reference_range[:40],
                reference_low=low,
                reference_high=high,
                flag=item.flag,
            )
        )
    return values


def _report_row(report: HisReport, *, person: VisitPerson, order: LabOrder | None, via: str) -> Report:
    lab = isinstance(report, LabReport)
    row = Report(
        visit_person=person,
        order=order,
        source=Report.Source.ONLINE if order else Report.Source.IN_PERSON,
        kind=Report.Kind.LAB if lab else Report.Kind.EXAM,
        his_report_no=report.report_no,
        his_request_no=report.request_no,
        title=(report.title or report.report_no)[:200],
        reporting_physician=report.reporting_physician[:60],
        reviewing_physician=report.reviewing_physician[:60],
        reported_at=report.reported_at,
        received_at=now(),
        received_via=via,
    )
    if isinstance(report, LabReport):
        row.specimen = report.specimen[:40]
    else:
        row.modality, row.findings, row.impression = report.modality[:10], report.findings, report.impression
        row.critical = report.critical
    return row


def _refused(error: DomainError, report: HisReport, via: str) -> DomainError:
    """Log and audit a refused report (in a transaction of its own: nothing else was written)."""
    logger.warning("report %s (%s) refused: %s", report.report_no, via, error.code)
    with transaction.atomic():
        record(
            actor=HIS,
            action="report.refused",
            target_type="report",
            target_id=report.report_no,
            details={"code": error.code, "request_no": report.request_no, "via": via},
        )
    return error


def _order_for(report: HisReport) -> LabOrder:
    order = (
        LabOrder.objects.select_related("visit_person__account", "doctor")
        .filter(his_request_no=report.request_no)
        .first()
    )
    if order is None:
        raise DomainError(ReportError.UNKNOWN_ORDER, request_no=report.request_no)
    his_id = order.visit_person.his_patient_id
    if report.patient_id and his_id and report.patient_id != his_id:
        raise DomainError(ReportError.PATIENT_MISMATCH, request_no=report.request_no)
    return order


def report_apply(*, report: HisReport, via: str) -> Applied:
    """Apply a report of one of our orders, once (by its report number).

    Preconditions: called outside any transaction (a refusal is audited in a transaction of its own).
    Refuses, changing nothing, logged and audited ``report.refused``: report.unknown_order (no order has
    the request number), report.patient_mismatch, report.value_without_unit (a number without a unit),
    report.bad_flag, report.empty (a lab report without values), report.order_has_another_report.
    Side effects of a new report: its values or key images (fetched after commit), the order moved to
    reported (performed first when the result overtook the check-in), a critical value's alert to the
    ordering doctor (desk alert live, message, SMS) and the patient told to contact the hospital; else
    the patient told the result is ready. A repeat: nothing but an audit entry ``report.duplicate``.
    """
    try:
        values = _checked_values(report.items) if isinstance(report, LabReport) else []
        order = _order_for(report)
        return _apply(report, order=order, person=order.visit_person, values=values, via=via)
    except DomainError as error:
        raise _refused(error, report, via) from None


def report_apply_in_person(*, report: HisReport, person: VisitPerson, via: str = Report.Via.FETCH) -> Applied:
    """Apply a report of the visit person's in-person visit (from the HIS report list), once.
    Refuses as ``report_apply`` does for its values. No notices: the patient had it at the hospital."""
    try:
        values = _checked_values(report.items) if isinstance(report, LabReport) else []
        return _apply(report, order=None, person=person, values=values, via=via)
    except DomainError as error:
        raise _refused(error, report, via) from None


@transaction.atomic
def _apply(
    report: HisReport, *, order: LabOrder | None, person: VisitPerson, values: list[ResultValue], via: str
) -> Applied:
    candidate = _report_row(report, person=person, order=order, via=via)
    candidate.abnormal = candidate.critical or any(value.abnormal for value in values)
    candidate.critical = candidate.critical or any(value.critical for value in values)
    Report.objects.bulk_create([candidate], ignore_conflicts=True)  # the unique report number decides
    row = Report.objects.filter(his_report_no=report.report_no).first()
    if row is None:  # the conflict was on the order: it has another report number
        raise DomainError(ReportError.ORDER_HAS_ANOTHER_REPORT, request_no=report.request_no)
    if row.public_id != candidate.public_id:
        record(
            actor=HIS,
            action="report.duplicate",
            target_type="report",
            target_id=str(row.public_id),
            details={"via": via},
        )
        return Applied(report=row, created=False)
    for value in values:
        value.report = row
    ResultValue.objects.bulk_create(values)
    if isinstance(report, ExamReport):
        KeyImage.objects.bulk_create(
            KeyImage(report=row, position=index, image_uid=image.image_uid[:64], description=image.description[:100])
            for index, image in enumerate(report.key_images)
        )
    record(
        actor=HIS,
        action="report.received",
        target_type="report",
        target_id=str(row.public_id),
        details={"report_no": row.his_report_no, "via": via, "critical": row.critical, "source": row.source},
    )
    if order is not None:
        _order_reported(order)
        _announce(row, order, values)
    if isinstance(report, ExamReport) and report.key_images:
        from ihospital.labs import tasks  # the task module imports the services

        transaction.on_commit(partial(tasks.key_images_fetch, row.pk))
    return Applied(report=row, created=True)


def _order_reported(order: LabOrder) -> None:
    """Move the order to reported; a result that overtook the check-in performs it first. A cancelled or
    unpaid order keeps its state (the report is kept; the audit says so)."""
    if order.status in (LabOrder.Status.PAID, LabOrder.Status.SCHEDULED):
        lab_order_perform(order=order, actor=HIS)
    if order.status == LabOrder.Status.PERFORMED:
        lab_order_report(order=order, actor=HIS)
    elif order.status != LabOrder.Status.REPORTED:
        record(
            actor=HIS,
            action="report.order_not_moved",
            target_type="lab_order",
            target_id=str(order.public_id),
            details={"status": order.status},
        )


def critical_summary(report: Report, values: list[ResultValue]) -> str:
    critical = [f"{v.name} {v.value}{v.unit} ({v.flag})" for v in values if v.critical]
    return ("; ".join(critical) or report.impression)[:300]


def _announce(report: Report, order: LabOrder, values: list[ResultValue]) -> None:
    if report.critical:
        alert = CriticalAlert.objects.create(
            report=report, doctor=order.doctor, summary=critical_summary(report, values), created_at=now()
        )
        record(
            actor=HIS,
            action="report.critical_raised",
            target_type="critical_alert",
            target_id=str(alert.public_id),
            details={"report": str(report.public_id), "doctor": str(order.doctor.public_id)},
        )
        notify.critical_to_doctor(alert=alert, order=order)
        notify.critical_to_patient(report=report, order=order)
    else:
        notify.result_ready(report=report, order=order)
