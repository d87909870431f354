"""The doctor orders lab tests and exams (开检验检查单) from the HIS catalogue, signs, and the HIS receives it.

Outside any transaction: the catalogue is read from the HIS and each order signed with the doctor's
certificate (``document_sign``, PIN). Then, per order, one transaction writes it, its items, the audit
entry, the patient's notice and the outbox message that places it in the HIS (``labs.his_place``, once:
the HIS de-duplicates on the transaction id derived from the order's id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.consultations.models import Consultation
from ihospital.core import outbox
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.his.base import ExamItem
from ihospital.labs import notify
from ihospital.labs.errors import LabError
from ihospital.labs.models import LabOrder, LabOrderItem
from ihospital.labs.selectors import exam_catalogue, signed_record_version
from ihospital.labs.services._common import refuse
from ihospital.records.models import RecordVersion
from ihospital.signatures import selectors as signature_selectors
from ihospital.signatures.errors import SignatureError
from ihospital.signatures.models import Signature
from ihospital.signatures.services import document_sign

DOCUMENT_TYPE = "lab_order"
ACTION = "lab_order.create"


@dataclass(frozen=True)
class OrderInput:
    """What the doctor's form sends. ``request_id`` is the form's own id: a resubmitted form names the
    same orders (their ids derive from it), so a double click orders nothing twice."""

    request_id: uuid.UUID
    item_codes: tuple[str, ...]
    clinical_question: str
    diagnosis_code: str


@dataclass(frozen=True)
class _Group:
    kind: str
    modality: str
    items: tuple[ExamItem, ...]


def _groups(items: list[ExamItem]) -> list[_Group]:
    """Lab tests make one order (one sample taken); exams one order per modality (one booked time each)."""
    labs = tuple(item for item in items if item.kind == LabOrder.Kind.LAB)
    groups = [_Group(LabOrder.Kind.LAB, "", labs)] if labs else []
    modalities = sorted({item.specimen for item in items if item.kind == LabOrder.Kind.EXAM})
    for modality in modalities:
        exams = tuple(item for item in items if item.kind == LabOrder.Kind.EXAM and item.specimen == modality)
        groups.append(_Group(LabOrder.Kind.EXAM, modality, exams))
    return groups


def _checked_version(*, doctor: User, consultation: Consultation, data: OrderInput, actor: Actor) -> RecordVersion:
    target = str(consultation.public_id)
    if consultation.doctor_id != doctor.pk:
        refuse(LabError.NOT_YOUR_PATIENT, actor=actor, action=ACTION, target_id=target)
    if consultation.started_at is None:
        refuse(LabError.NOT_STARTED, actor=actor, action=ACTION, target_id=target)
    question = data.clinical_question.strip()
    if not question or len(question) > 500:
        refuse(LabError.QUESTION_REQUIRED, actor=actor, action=ACTION, target_id=target)
    version = signed_record_version(consultation.pk)
    if version is None or not version.diagnoses:
        refuse(LabError.NO_SIGNED_DIAGNOSIS, actor=actor, action=ACTION, target_id=target)
    assert version is not None
    if data.diagnosis_code not in {d["code"] for d in version.diagnoses}:
        refuse(LabError.DIAGNOSIS_NOT_IN_RECORD, actor=actor, action=ACTION, target_id=target)
    return version


def _checked_items(*, codes: tuple[str, ...], target: str, actor: Actor) -> list[ExamItem]:
    codes = tuple(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if not codes:
        refuse(LabError.NO_ITEMS, actor=actor, action=ACTION, target_id=target)
    if len(codes) > settings.LAB_ORDER_MAX_ITEMS:
        refuse(
            LabError.TOO_MANY_ITEMS, actor=actor, action=ACTION, target_id=target, limit=settings.LAB_ORDER_MAX_ITEMS
        )
    catalogue = exam_catalogue()
    unknown = [code for code in codes if code not in catalogue]
    if unknown:
        refuse(LabError.UNKNOWN_ITEM, actor=actor, action=ACTION, target_id=target, codes=", ".join(unknown)[:200])
    return [catalogue[code] for code in codes]


def order_payload(order: LabOrder, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The document signed (canonical JSON rules: strings, whole numbers, lists, objects)."""
    person = order.visit_person
    return {
        "type": DOCUMENT_TYPE,
        "order": str(order.public_id),
        "consultation": str(order.consultation.public_id),
        "ordered_at": order.created_at.isoformat(),
        "doctor": {"id": str(order.doctor.public_id), "name": order.doctor.display_name},
        "patient": {
            "id": str(person.public_id),
            "name": person.name,
            "sex": person.sex,
            "birth_date": str(person.birth_date),
        },
        "kind": order.kind,
        "items": [{"code": item["code"], "name": item["name"], "price_fen": item["price_fen"]} for item in items],
        "clinical_question": order.clinical_question,
        "diagnosis": {"code": order.diagnosis_code, "name": order.diagnosis_name},
        "record_version": order.record_version.number,
    }


def _item_rows(group: _Group) -> list[dict[str, Any]]:
    return [
        {
            "position": position,
            "code": item.code,
            "name": item.name,
            "price_fen": item.price_fen,
            "specimen": item.specimen,
            "department": item.department,
            "preparation": item.preparation,
            "place": item.place,
            "hours": item.hours,
        }
        for position, item in enumerate(group.items, start=1)
    ]


def _unsaved(
    *,
    public_id: uuid.UUID,
    doctor: User,
    consultation: Consultation,
    version: RecordVersion,
    data: OrderInput,
    group: _Group,
    moment: datetime,
) -> LabOrder:
    diagnosis = next(d for d in version.diagnoses if d["code"] == data.diagnosis_code)
    return LabOrder(
        public_id=public_id,
        consultation=consultation,
        visit_person=consultation.appointment.visit_person,
        doctor=doctor,
        kind=group.kind,
        modality=group.modality,
        needs_booking=group.kind == LabOrder.Kind.EXAM,
        clinical_question=data.clinical_question.strip(),
        record_version=version,
        diagnosis_code=diagnosis["code"],
        diagnosis_name=diagnosis["name"][:200],
        amount_fen=sum(item.price_fen for item in group.items),
        created_at=moment,
    )


def _sign(*, order: LabOrder, items: list[dict[str, Any]], pin: str, actor: Actor) -> Signature:
    try:
        return document_sign(
            signer=order.doctor,
            document_type=DOCUMENT_TYPE,
            document_id=order.public_id,
            payload=order_payload(order, items),
            pin=pin,
            actor=actor,
        )
    except DomainError as error:
        # An earlier attempt signed and stopped before writing the order: its signature stands.
        signed = signature_selectors.signatures_of(document_type=DOCUMENT_TYPE, document_id=order.public_id).first()
        if error.code == SignatureError.ALREADY_SIGNED.code and signed is not None:
            return signed
        raise


@transaction.atomic
def _create(*, order: LabOrder, items: list[dict[str, Any]], signature: Signature, actor: Actor) -> LabOrder:
    order.signature = signature
    order.save(force_insert=True)
    LabOrderItem.objects.bulk_create([LabOrderItem(order=order, **item) for item in items])
    record(
        actor=actor,
        action=ACTION,
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"kind": order.kind, "items": [item["code"] for item in items], "amount_fen": order.amount_fen},
    )
    outbox.enqueue(
        topic="labs.his_place",
        payload={"order": str(order.public_id)},
        idempotency_key=f"lab-his-place:{order.public_id}",
        correlation_id=str(order.public_id),
    )
    notify.order_placed(order=order)
    return order


def lab_orders_place(
    *, doctor: User, consultation: Consultation, data: OrderInput, pin: str, actor: Actor
) -> list[LabOrder]:
    """Order ``data.item_codes`` for the consultation's visit person: one order for the lab tests, one per
    exam modality, each signed by ``doctor`` (PIN) and sent to the HIS.

    Preconditions: outside any transaction (signing talks to the CA; RuntimeError otherwise).
    Refuses, audited and nothing written: lab.not_your_patient, lab.consultation_not_started,
    lab.question_required, lab.no_signed_diagnosis (the record is not signed, or has no diagnosis: the order
    names one), lab.diagnosis_not_in_record, lab.no_items, lab.too_many_items, lab.unknown_item (a code not in
    the HIS catalogue), lab.catalogue_unavailable; every signature.* refusal of ``document_sign`` (wrong PIN …).
    Idempotent on ``data.request_id``: orders already written for it are returned, not written again. Each
    order stands alone: should a later one's signing fail (the CA unavailable …), those written stay, and the
    same form sent again writes only the missing ones.
    Side effects per order: the Signature; the order and its items; a ``lab_order.create`` audit entry; the
    patient's notice (message centre + SMS); the ``labs.his_place`` outbox message.
    """
    version = _checked_version(doctor=doctor, consultation=consultation, data=data, actor=actor)
    items = _checked_items(codes=data.item_codes, target=str(consultation.public_id), actor=actor)
    orders = []
    for group in _groups(items):
        public_id = uuid.uuid5(data.request_id, f"{group.kind}:{group.modality}")
        existing = LabOrder.objects.filter(public_id=public_id).first()
        if existing is not None:
            orders.append(existing)
            continue
        order = _unsaved(
            public_id=public_id,
            doctor=doctor,
            consultation=consultation,
            version=version,
            data=data,
            group=group,
            moment=now(),
        )
        rows = _item_rows(group)
        signature = _sign(order=order, items=rows, pin=pin, actor=actor)
        orders.append(_create(order=order, items=rows, signature=signature, actor=actor))
    return orders
