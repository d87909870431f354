"""Lab/exam order reads, each with its authorisation; reads of an order are audited (``lab_order.read``):

- the patient: the orders of the visit persons of their own account;
- a doctor: the orders they signed, and those of a visit person they have consulted;
- anyone else: not found (the same answer as an order that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse

from ihospital.accounts.models import Role, User, VisitPerson
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import local
from ihospital.integrations import his
from ihospital.integrations.his.base import ExamCatalogueQuery, ExamItem, HisError
from ihospital.labs.errors import LabError
from ihospital.labs.models import (
    ACTIVE_BOOKING,
    CriticalAlert,
    ExamBooking,
    ExamSession,
    KeyImage,
    LabOrder,
    Report,
    ResultValue,
)
from ihospital.records.models import MedicalRecord, RecordVersion
from ihospital.records.selectors import doctor_has_consulted, signed_versions

RELATED = ("visit_person", "doctor", "consultation", "record_version", "signature")


def _with_details(queryset: QuerySet[LabOrder]) -> QuerySet[LabOrder]:
    active = ExamBooking.objects.filter(status=ACTIVE_BOOKING).select_related("session__room")
    return queryset.select_related(*RELATED).prefetch_related(
        "items", Prefetch("bookings", queryset=active, to_attr="active_bookings")
    )


def _get(public_id: UUID | str) -> LabOrder:
    try:
        return _with_details(LabOrder.objects.all()).get(public_id=public_id)
    except (LabOrder.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def may_read(*, user: Any, order: LabOrder) -> bool:
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False):
        return False
    if role == Role.PATIENT:
        return bool(order.visit_person.account_id == user.pk)
    if role == Role.DOCTOR:
        return order.doctor_id == user.pk or doctor_has_consulted(doctor=user, visit_person_id=order.visit_person_id)
    return False


def access_lab_order(user: Any, public_id: UUID | str, *, actor: Actor | None = None) -> LabOrder:
    """The order (items, active booking prefetched), if ``user`` may read it (module rules); audited.
    Refuses: core.not_found (missing, malformed id, or not allowed: the same answer)."""
    order = _get(public_id)
    if not may_read(user=user, order=order):
        raise DomainError(CoreError.NOT_FOUND)
    with transaction.atomic():
        record(
            actor=actor or Actor.of(user),
            action="lab_order.read",
            target_type="lab_order",
            target_id=str(order.public_id),
        )
    return order


def active_booking(order: LabOrder) -> ExamBooking | None:
    """The order's current booking (prefetched by the selectors here, else one query)."""
    prefetched = getattr(order, "active_bookings", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return order.bookings.filter(status=ACTIVE_BOOKING).select_related("session__room").first()


def orders_of_patient(*, user: User) -> QuerySet[LabOrder]:
    """Every order of the visit persons of ``user``'s account, newest first (a list: not audited per order)."""
    return _with_details(LabOrder.objects.filter(visit_person__account=user))


def orders_of_consultation(*, consultation_id: int) -> QuerySet[LabOrder]:
    return _with_details(LabOrder.objects.filter(consultation_id=consultation_id))


def sessions_for(*, order: LabOrder, today: date, until: date) -> QuerySet[ExamSession]:
    """Open sessions of rooms of the order's modality between ``today`` and ``until``, with places left."""
    return (
        ExamSession.objects.filter(
            room__modality=order.modality,
            room__active=True,
            status=ExamSession.Status.OPEN,
            date__gte=today,
            date__lte=until,
        )
        .select_related("room")
        .order_by("starts_at", "room__name")
    )


CATALOGUE_CACHE_KEY = "labs:exam_catalogue"


def exam_catalogue() -> dict[str, ExamItem]:
    """The HIS's lab/exam catalogue by code (lab tests first), read through the gateway outside any
    transaction and kept LAB_CATALOGUE_CACHE_SECONDS. Refuses: lab.catalogue_unavailable."""
    items: dict[str, ExamItem] | None = cache.get(CATALOGUE_CACHE_KEY)
    if items is None:
        try:
            catalogue = his.client().exam_catalogue(ExamCatalogueQuery())
        except HisError as error:
            raise DomainError(LabError.CATALOGUE_UNAVAILABLE) from error
        ordered = sorted(catalogue.items, key=lambda item: (item.kind != "lab", item.code))
        items = {item.code: item for item in ordered}
        cache.set(CATALOGUE_CACHE_KEY, items, settings.LAB_CATALOGUE_CACHE_SECONDS)
    return items


def signed_record_version(consultation_id: int) -> RecordVersion | None:
    """The latest signed version of the consultation's record (where an order's diagnosis comes from)."""
    medical_record = MedicalRecord.objects.filter(consultation_id=consultation_id).first()
    return signed_versions(medical_record).first() if medical_record else None


def access_checked_in_order(*, user: Any, public_id: UUID | str, actor: Actor) -> LabOrder:
    """For the nurse at the check-in desk: an order checked in (the patient is at the hospital); audited.
    Anyone else, or an order not checked in: not found."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != Role.NURSE:
        raise DomainError(CoreError.NOT_FOUND)
    order = _get(public_id)
    if order.checked_in_at is None:
        raise DomainError(CoreError.NOT_FOUND)
    with transaction.atomic():
        record(actor=actor, action="lab_order.read", target_type="lab_order", target_id=str(order.public_id))
    return order


def checked_in_today(*, day_start: Any) -> QuerySet[LabOrder]:
    """Orders checked in since ``day_start``, latest first (the desk's list)."""
    return _with_details(LabOrder.objects.filter(checked_in_at__gte=day_start)).order_by("-checked_in_at")


# --- results and reports (报告查询) ------------------------------------------------------------------
# Who reads a visit person's reports: the patient whose account holds the visit person; a doctor who has
# consulted the visit person (his patients only; the ordering doctor has, by ordering). Anyone else: not
# found. Every read is audited (report.read, report.list_read, report.trend_read, report.image_read).
REPORT_LIST_FIELDS = (
    "public_id",
    "visit_person_id",
    "source",
    "kind",
    "title",
    "his_report_no",
    "reported_at",
    "abnormal",
    "critical",
)
REPORTS_PER_PAGE = 30
TREND_MAX_POINTS = 60  # years of a test repeated monthly; more would not be readable on a phone


def may_read_reports_of(*, user: Any, person: VisitPerson) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.PATIENT:
        return bool(person.account_id == user.pk)
    if user.role == Role.DOCTOR:
        return doctor_has_consulted(doctor=user, visit_person_id=person.pk)
    return False


def _audit_read(actor: Actor, action: str, target: str, **details: Any) -> None:
    with transaction.atomic():
        record(actor=actor, action=action, target_type="report", target_id=target, details=details or None)


def access_report(user: Any, public_id: UUID | str, *, actor: Actor) -> Report:
    """The report with its values, key images and alert, if ``user`` may read its visit person's reports;
    audited. Refuses: core.not_found (missing, malformed id, not allowed: the same answer)."""
    try:
        found = (
            Report.objects.select_related("visit_person", "critical_alert")
            .prefetch_related("values", "images")
            .get(public_id=public_id)
        )
    except (Report.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DomainError(CoreError.NOT_FOUND) from None
    if not may_read_reports_of(user=user, person=found.visit_person):
        raise DomainError(CoreError.NOT_FOUND)
    _audit_read(actor, "report.read", str(found.public_id))
    return found


def access_visit_person_reports(user: Any, public_id: UUID | str) -> VisitPerson:
    """The visit person, if ``user`` may read their reports (not audited: the list read is)."""
    try:
        person = VisitPerson.objects.get(public_id=public_id)
    except (VisitPerson.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DomainError(CoreError.NOT_FOUND) from None
    if not may_read_reports_of(user=user, person=person):
        raise DomainError(CoreError.NOT_FOUND)
    return person


@dataclass(frozen=True)
class ReportRow:
    """One line of a report list: plain values, so the page renders without model instances."""

    public_id: UUID
    url: str
    title: str
    kind: str
    kind_label: str
    source_label: str
    day: date
    person_name: str
    abnormal: bool
    critical: bool


_URL_PLACEHOLDER = UUID(int=0)


def report_urls() -> Callable[[UUID], str]:
    """The report page's address for any report id: one reverse() for a whole page of rows (a
    ``{% url %}`` per row costs more than the rest of the row), as the rows' addresses differ by their id only."""
    url = reverse("labs:report", args=[_URL_PLACEHOLDER])
    placeholder = str(_URL_PLACEHOLDER)
    return lambda public_id: url.replace(placeholder, str(public_id))


def reports_of(*, user: Any, persons: list[VisitPerson], page: int, actor: Actor) -> Page:
    """One page of the persons' reports, newest first, as ``ReportRow``s (two queries, whatever their
    number); audited. Preconditions: each of ``persons`` was authorised for ``user``."""
    rows = (
        Report.objects.filter(visit_person__in=persons).order_by("-reported_at", "-id").values_list(*REPORT_LIST_FIELDS)
    )
    shown = Paginator(rows, REPORTS_PER_PAGE).get_page(page)
    names = {person.pk: person.name for person in persons}
    kinds, sources = dict(Report.Kind.choices), dict(Report.Source.choices)
    url = report_urls()
    shown.object_list = [
        ReportRow(
            public_id=public_id,
            url=url(public_id),
            title=title,
            kind=kind,
            kind_label=str(kinds[kind]),
            source_label=str(sources[source]),
            day=local(reported_at).date(),
            person_name=names[person_id],
            abnormal=abnormal,
            critical=critical,
        )
        for public_id, person_id, source, kind, title, _number, reported_at, abnormal, critical in shown.object_list
    ]
    _audit_read(
        actor, "report.list_read", ",".join(str(p.public_id) for p in persons), page=shown.number, shown=len(shown)
    )
    return shown


def patient_persons(user: User) -> list[VisitPerson]:
    return list(VisitPerson.objects.filter(account=user).order_by("id"))


@dataclass(frozen=True)
class TrendPoint:
    reported_at: datetime
    value: Decimal
    flag: str
    report_id: UUID


@dataclass(frozen=True)
class Trend:
    code: str
    name: str
    unit: str
    low: Decimal | None
    high: Decimal | None
    reference_text: str
    points: tuple[TrendPoint, ...]


def trend_of(*, report: Report, code: str, actor: Actor) -> Trend | None:
    """The item ``code``'s numeric values over time for the report's visit person (same unit as in this
    report; the latest TREND_MAX_POINTS), oldest first, with this report's reference band; None when there
    are fewer than two. Audited.
    Preconditions: ``report`` was fetched by ``access_report``."""
    current = next((v for v in report.values.all() if v.code == code and v.numeric is not None), None)
    if current is None:
        return None
    rows = (
        ResultValue.objects.filter(report__visit_person_id=report.visit_person_id, code=code, unit=current.unit)
        .exclude(numeric=None)
        .select_related(None)
        .values_list("report__reported_at", "numeric", "flag", "report__public_id")
        .order_by("-report__reported_at")[:TREND_MAX_POINTS]
    )
    points = tuple(
        TrendPoint(at, value, flag, public_id) for at, value, flag, public_id in reversed(rows) if value is not None
    )
    if len(points) < 2:
        return None
    _audit_read(actor, "report.trend_read", str(report.public_id), code=code)
    return Trend(
        code, current.name, current.unit, current.reference_low, current.reference_high, current.reference_text, points
    )


def repeated_items(report: Report) -> set[str]:
    """The codes of this report's numeric items the visit person has in at least one other report."""
    codes = [v.code for v in report.values.all() if v.numeric is not None]
    if not codes:
        return set()
    counted = (
        ResultValue.objects.filter(report__visit_person_id=report.visit_person_id, code__in=codes)
        .exclude(numeric=None)
        .values("code")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return {row["code"] for row in counted}


def access_key_image(report: Report, position: int, *, actor: Actor) -> KeyImage:
    """A stored key image of a report already authorised (``access_report``); audited."""
    image = next((i for i in report.images.all() if i.position == position), None)
    if image is None or image.status != KeyImage.Status.STORED:
        raise DomainError(CoreError.NOT_FOUND)
    _audit_read(actor, "report.image_read", str(report.public_id), position=position)
    return image


def access_critical_alert(user: Any, public_id: UUID | str) -> CriticalAlert:
    """A critical-value alert, for its doctor only; anyone else: core.not_found."""
    try:
        alert = CriticalAlert.objects.select_related("report__visit_person", "doctor").get(public_id=public_id)
    except (CriticalAlert.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DomainError(CoreError.NOT_FOUND) from None
    if not getattr(user, "is_authenticated", False) or alert.doctor_id != user.pk:
        raise DomainError(CoreError.NOT_FOUND)
    return alert


def open_critical_alerts(doctor: User) -> list[CriticalAlert]:
    return list(
        CriticalAlert.objects.filter(doctor=doctor, status=CriticalAlert.Status.OPEN)
        .select_related("report__visit_person")
        .order_by("created_at")
    )
