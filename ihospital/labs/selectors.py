"""Lab/exam order reads, each with its authorisation; reads of an order are audited (``lab_order.read``):

- the patient: the orders of the visit persons of their own account;
- a doctor: the orders they signed, and those of a visit person they have consulted;
- anyone else: not found (the same answer as an order that does not exist).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.integrations import his
from ihospital.integrations.his.base import ExamCatalogueQuery, ExamItem, HisError
from ihospital.labs.errors import LabError
from ihospital.labs.models import ACTIVE_BOOKING, ExamBooking, ExamSession, LabOrder
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
