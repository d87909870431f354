"""Visit persons (就诊人): real-name registration, changes, soft removal, name correction, the HIS link.

Every refusal raises ``DomainError`` with a ``VisitPersonError`` code and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ihospital.accounts import idcard, names
from ihospital.accounts.errors import AccountError, VisitPersonError
from ihospital.accounts.models import (
    User,
    VisitPerson,
)
from ihospital.accounts.phone import normalize_phone
from ihospital.accounts.services._common import _refuse
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError, FieldErrors
from ihospital.core.time import now

# --- Visit persons ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitPersonInput:
    relationship: str
    name: str
    id_number: str
    phone: str
    allergies: str = ""
    chronic_conditions: str = ""
    guardian_name: str = ""
    guardian_id_number: str = ""
    guardian_phone: str = ""


GUARDIAN_AGE_LIMIT = 6
EDITABLE_FIELDS = ("phone", "allergies", "chronic_conditions", "guardian_name", "guardian_id_number", "guardian_phone")


def _clean_phone(raw: str) -> tuple[str, object]:
    phone = normalize_phone(raw)
    return (phone or "", None if phone else AccountError.PHONE_INVALID.message)


def _clean_id_number(raw: str) -> tuple[str, object]:
    try:
        return idcard.parse(raw).number, None
    except idcard.InvalidIdNumber:
        return "", VisitPersonError.ID_NUMBER_INVALID.message


def _clean_name(raw: str) -> tuple[str, str | Promise | None]:
    try:
        return names.clean_person_name(raw), None
    except names.InvalidName:
        return "", VisitPersonError.NAME_INVALID.message


def _clean_text(limit: int):
    def clean(raw: str) -> tuple[str, object]:
        text = raw.strip()
        return text, _("At most %(limit)d characters.") % {"limit": limit} if len(text) > limit else None

    return clean


# Field → (cleaner, may be left empty). Shared by create and update.
DETAIL_CLEANERS = {
    "phone": (_clean_phone, False),
    "allergies": (_clean_text(500), True),
    "chronic_conditions": (_clean_text(500), True),
    "guardian_name": (_clean_name, True),
    "guardian_id_number": (_clean_id_number, True),
    "guardian_phone": (_clean_phone, True),
}


def _check_details(data: dict[str, str], *, problems: FieldErrors) -> dict[str, str]:
    """Validate the contact and health fields present in ``data``; return them normalised."""
    clean: dict[str, str] = {}
    for name, raw in data.items():
        cleaner, optional = DETAIL_CLEANERS[name]
        raw = (raw or "").strip()
        if optional and not raw:
            clean[name] = ""
            continue
        clean[name], problem = cleaner(raw)
        if problem:
            problems.add(name, problem)
    return clean


def _error_for(problems: FieldErrors):
    """The code of a refusal: the specific one when only ID numbers or only names are wrong."""
    wrong = set(problems.errors)
    if wrong == {"id_number"}:
        return VisitPersonError.ID_NUMBER_INVALID
    if wrong <= {"name", "guardian_name"} and all(
        problems.errors[field] == str(VisitPersonError.NAME_INVALID.message) for field in wrong
    ):
        return VisitPersonError.NAME_INVALID
    return VisitPersonError.INVALID


def _require_guardian(birth_date: date, values: dict[str, str], problems: FieldErrors) -> None:
    if idcard.age_on(birth_date, date.today()) < GUARDIAN_AGE_LIMIT:
        if not values.get("guardian_name"):
            problems.add("guardian_name", VisitPersonError.GUARDIAN_REQUIRED.message)
        if not values.get("guardian_id_number") and "guardian_id_number" not in problems.errors:
            problems.add("guardian_id_number", VisitPersonError.GUARDIAN_REQUIRED.message)


def visit_person_create(*, account: User, data: VisitPersonInput, actor: Actor) -> VisitPerson:
    """Register a real-name visit person on ``account``.

    Preconditions: ``account`` is a patient. Refuses (nothing written): visit_person.invalid (with
    per-field messages, including an ID number failing GB 11643, a name that is not a plausible personal
    name (``names.clean_person_name``) and a missing guardian for a child under 6),
    visit_person.duplicate, visit_person.limit_reached, visit_person.self_exists. Removed visit persons
    count for none of these. Side effects: an audit entry.
    """
    problems = FieldErrors()
    name, name_problem = _clean_name(data.name)
    if name_problem:
        problems.add("name", name_problem)
    if data.relationship not in VisitPerson.Relationship.values:
        problems.add("relationship", _("Choose a relationship."))
    resident = None
    try:
        resident = idcard.parse(data.id_number)
    except idcard.InvalidIdNumber:
        problems.add("id_number", VisitPersonError.ID_NUMBER_INVALID.message)
    details = _check_details({name: getattr(data, name) for name in EDITABLE_FIELDS}, problems=problems)
    if resident:
        _require_guardian(resident.birth_date, details, problems)
    if problems.errors:
        _refuse(actor, "visit_person.create", _error_for(problems), fields=problems.errors)
    assert resident is not None

    with transaction.atomic():
        # Lock the account row so two concurrent adds can't both pass the limit check.
        User.objects.select_for_update().get(pk=account.pk)
        existing = VisitPerson.objects.filter(account=account, removed_at__isnull=True)
        if existing.matching(id_number=resident.number).exists():
            raise DomainError(VisitPersonError.DUPLICATE, fields={"id_number": VisitPersonError.DUPLICATE.message})
        if data.relationship == VisitPerson.Relationship.SELF and existing.filter(relationship="self").exists():
            raise DomainError(
                VisitPersonError.SELF_EXISTS, fields={"relationship": VisitPersonError.SELF_EXISTS.message}
            )
        limit = settings.VISIT_PERSONS_PER_ACCOUNT
        if existing.count() >= limit:
            raise DomainError(VisitPersonError.LIMIT_REACHED, limit=limit)
        person = VisitPerson.objects.create(
            account=account,
            relationship=data.relationship,
            name=name,
            id_number=resident.number,
            birth_date=resident.birth_date,
            sex=resident.sex,
            **details,
        )
        record(
            actor=actor,
            action="visit_person.create",
            target_type="visit_person",
            target_id=str(person.public_id),
            details={"relationship": data.relationship},
        )
    return person


def visit_person_update(*, person: VisitPerson, changes: dict[str, str], actor: Actor) -> VisitPerson:
    """Update the contact and health details of a visit person. Name, ID number, birth date and sex are
    fixed (real-name rule): changing them is refused with visit_person.invalid.

    Refuses: visit_person.invalid (per field), visit_person.guardian_required for a child under 6.
    """
    problems = FieldErrors()
    for fixed in ("name", "id_number", "relationship", "birth_date", "sex"):
        if fixed in changes and str(changes[fixed]).strip() != str(getattr(person, fixed)):
            problems.add(fixed, _("This cannot be changed. Add a new visit person instead."))
    clean = _check_details({k: v for k, v in changes.items() if k in EDITABLE_FIELDS}, problems=problems)
    merged = {name: getattr(person, name) for name in EDITABLE_FIELDS} | clean
    _require_guardian(person.birth_date, merged, problems)
    if problems.errors:
        _refuse(actor, "visit_person.update", _error_for(problems), fields=problems.errors)
    changed = sorted(name for name, value in clean.items() if getattr(person, name) != value)
    with transaction.atomic():
        if changed:
            VisitPerson.objects.filter(pk=person.pk).update(updated_at=now(), **{n: clean[n] for n in changed})
        record(
            actor=actor,
            action="visit_person.update",
            target_type="visit_person",
            target_id=str(person.public_id),
            details={"fields": changed},
        )
    person.refresh_from_db()
    return person


@transaction.atomic
def visit_person_remove(*, person: VisitPerson, actor: Actor) -> None:
    """Remove a visit person from the account. Soft: the row stays (bookings, consultations and records
    point at it; clinical data is never deleted), but it is no longer listed, bookable or counted against
    the per-account limit, and the same person may be added again. Bookings already made are untouched.

    Refuses: core.not_found when already removed (compare-and-set on ``removed_at``).
    Side effects: ``removed_at``; an audit entry ``visit_person.remove``.
    """
    if not VisitPerson.objects.filter(pk=person.pk, removed_at__isnull=True).update(removed_at=now()):
        raise DomainError(CoreError.NOT_FOUND)
    record(actor=actor, action="visit_person.remove", target_type="visit_person", target_id=str(person.public_id))
    person.refresh_from_db()


def visit_person_name_correct(*, person: VisitPerson, name: str, id_number: str, actor: Actor) -> VisitPerson:
    """Correct the name of a visit person (a typing mistake, a name changed on the ID card). The patient
    proves they hold the person's ID card by typing the full ID number, which must be the registered one.

    Refuses (audited as ``visit_person.name_correct.refused``; nothing written): visit_person.name_invalid,
    visit_person.id_number_mismatch (field ``id_number``; also for a malformed number). Side effects: the
    name; an audit entry ``visit_person.name_correct`` {name: [old, new]}. The same name again writes nothing.
    """
    action = "visit_person.name_correct"
    target = {"target_type": "visit_person", "target_id": str(person.public_id)}
    clean, problem = _clean_name(name)
    if problem:
        _refuse(actor, action, VisitPersonError.NAME_INVALID, fields={"name": problem}, **target)
    try:
        matches = idcard.parse(id_number).number == person.id_number
    except idcard.InvalidIdNumber:
        matches = False
    if not matches:
        message = VisitPersonError.ID_NUMBER_MISMATCH.message
        _refuse(actor, action, VisitPersonError.ID_NUMBER_MISMATCH, fields={"id_number": message}, **target)
    with transaction.atomic():
        old = VisitPerson.objects.select_for_update().values_list("name", flat=True).get(pk=person.pk)
        if old != clean:
            VisitPerson.objects.filter(pk=person.pk).update(name=clean, updated_at=now())
            record(
                actor=actor,
                action=action,
                target_type="visit_person",
                target_id=str(person.public_id),
                details={"name": [old, clean]},
            )
    person.refresh_from_db()
    return person


@transaction.atomic
def visit_person_his_link(*, person: VisitPerson, his_patient_id: str) -> bool:
    """Keep the HIS's patient id (病人ID) of ``person`` once the HIS matched or registered them.

    Compare-and-set: only a person without one gets it (a second, concurrent match of the same person
    finds the same id and changes nothing). Returns whether it was set. Audited as the HIS link.
    Refuses nothing; an empty id is a programming error (ValueError).
    """
    if not his_patient_id:
        raise ValueError("an HIS patient id is required")
    linked = VisitPerson.objects.filter(pk=person.pk, his_patient_id="").update(his_patient_id=his_patient_id)
    if linked:
        person.his_patient_id = his_patient_id
        record(
            actor=Actor.system("his"),
            action="visit_person.his_linked",
            target_type="visit_person",
            target_id=str(person.public_id),
        )
    return bool(linked)
