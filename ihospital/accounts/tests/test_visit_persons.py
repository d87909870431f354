"""Visit persons (就诊人): real-name, validated ID, at most 5 per account, guardian for under-6s."""

from datetime import date

import pytest

from ihospital.accounts import selectors, services
from ihospital.accounts.idcard import check_character
from ihospital.accounts.models import VisitPerson
from ihospital.accounts.phone import normalize_phone
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError


def resident_id(birth: date, sequence: int = 123) -> str:
    first17 = f"320505{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


ADULT_ID = resident_id(date(1985, 3, 9), 121)  # sequence 121 → odd → male
GUARDIAN_ID = resident_id(date(1986, 7, 1), 242)


def person(**overrides) -> services.VisitPersonInput:
    data = {"relationship": "self", "name": "艾丽斯", "id_number": ADULT_ID, "phone": "13800000001"}
    return services.VisitPersonInput(**{**data, **overrides})


def add(account, **overrides) -> VisitPerson:
    return services.visit_person_create(account=account, data=person(**overrides), actor=Actor.of(account))


def refused(account, **overrides) -> DomainError:
    with pytest.raises(DomainError) as error:
        add(account, **overrides)
    return error.value


def test_adding_a_visit_person_derives_birth_date_and_sex_and_is_audited(alice):
    created = add(alice, allergies=" 青霉素 ")
    assert (created.birth_date, created.sex, created.allergies) == (date(1985, 3, 9), "male", "青霉素")
    assert AuditEvent.objects.filter(action="visit_person.create", target_id=str(created.public_id)).exists()


def test_an_invalid_id_number_is_refused_with_a_field_error_and_nothing_saved(alice):
    wrong_check = ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1")
    error = refused(alice, id_number=wrong_check)
    assert error.code == "visit_person.id_number_invalid"
    assert set(error.fields) == {"id_number"}
    assert not VisitPerson.objects.exists()


def test_several_bad_fields_are_reported_together(alice):
    error = refused(alice, name="", phone="12", relationship="cousin")
    assert error.code == "visit_person.invalid"
    assert set(error.fields) == {"name", "phone", "relationship"}


def test_the_same_id_twice_on_one_account_is_refused(alice):
    add(alice)
    error = refused(alice, relationship="other")
    assert error.code == "visit_person.duplicate"
    assert VisitPerson.objects.count() == 1


def test_two_accounts_may_both_register_the_same_person(alice, mallory):
    """A grandmother can be a visit person of both her children's accounts."""
    add(alice, relationship="parent")
    add(mallory, relationship="parent")
    assert VisitPerson.objects.matching(id_number=ADULT_ID).count() == 2


def test_an_account_manages_at_most_five(alice, settings):
    for n in range(settings.VISIT_PERSONS_PER_ACCOUNT):
        add(alice, relationship="other", id_number=resident_id(date(1960, 1, 1), n + 1))
    error = refused(alice, relationship="other", id_number=resident_id(date(1960, 1, 1), 99))
    assert error.code == "visit_person.limit_reached"
    assert VisitPerson.objects.filter(account=alice).count() == 5


def test_only_one_visit_person_is_the_account_holder(alice):
    add(alice)
    assert refused(alice, id_number=GUARDIAN_ID).code == "visit_person.self_exists"


def test_a_child_under_six_needs_a_guardian(alice):
    child_id = resident_id(date(date.today().year - 3, 1, 1), 456)
    error = refused(alice, relationship="child", id_number=child_id)
    assert error.code == "visit_person.invalid"
    assert set(error.fields) == {"guardian_name", "guardian_id_number"}
    child = add(alice, relationship="child", id_number=child_id, guardian_name="艾丽斯", guardian_id_number=GUARDIAN_ID)
    assert child.guardian_id_number == GUARDIAN_ID


def test_a_guardian_id_is_validated_too(alice):
    child_id = resident_id(date(date.today().year - 2, 5, 5), 456)
    error = refused(alice, relationship="child", id_number=child_id, guardian_name="艾丽斯", guardian_id_number="123")
    assert set(error.fields) == {"guardian_id_number"}


def test_update_changes_contact_and_health_details_only(alice):
    created = add(alice)
    actor = Actor.of(alice)
    updated = services.visit_person_update(
        person=created, changes={"allergies": "花粉", "phone": "13700000000"}, actor=actor
    )
    assert (updated.allergies, updated.phone) == ("花粉", "13700000000")
    with pytest.raises(DomainError) as error:
        services.visit_person_update(person=updated, changes={"name": "别人", "id_number": GUARDIAN_ID}, actor=actor)
    assert set(error.value.fields) == {"name", "id_number"}
    updated.refresh_from_db()
    assert (updated.name, updated.id_number) == ("艾丽斯", ADULT_ID)


def test_update_cannot_remove_a_young_childs_guardian(alice):
    child = add(
        alice,
        relationship="child",
        id_number=resident_id(date(date.today().year - 1, 1, 1)),
        guardian_name="艾丽斯",
        guardian_id_number=GUARDIAN_ID,
    )
    with pytest.raises(DomainError) as error:
        services.visit_person_update(person=child, changes={"guardian_name": ""}, actor=Actor.of(alice))
    assert "guardian_name" in error.value.fields


def test_reading_visit_persons_is_audited_and_limited_to_the_owner(alice, mallory):
    created = add(alice)
    assert selectors.visit_person_list(account=alice, actor=Actor.of(alice)) == [created]
    assert selectors.visit_person_list(account=mallory, actor=Actor.of(mallory)) == []
    assert selectors.access_visit_person(user=alice, public_id=created.public_id, actor=Actor.of(alice)) == created
    with pytest.raises(DomainError) as error:
        selectors.access_visit_person(user=mallory, public_id=created.public_id, actor=Actor.of(mallory))
    assert error.value.code == "core.not_found"
    assert AuditEvent.objects.filter(action="visit_person.read", actor_name="alice").count() == 1
    assert AuditEvent.objects.filter(action="visit_person.list").count() == 2


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13800000001", "13800000001"),
        ("+86 138-0000-0001", "13800000001"),
        ("0086 13800000001", "13800000001"),
        ("(138) 0000 0001", "13800000001"),
        ("12800000001", None),
        ("1380000000", None),
        ("", None),
    ],
)
def test_phone_numbers_are_normalised_or_refused(raw, normal):
    assert normalize_phone(raw) == normal


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (" 艾丽斯 ", "艾丽斯"),
        ("阿卜杜拉・买买提", "阿卜杜拉·买买提"),  # a katakana dot typed for the middle dot
        ("迪丽热巴 · 迪力木拉提", "迪丽热巴·迪力木拉提"),
        ("John  Smith", "John Smith"),
        ("José García", "José García"),
    ],
)
def test_plausible_personal_names_are_accepted_and_normalised(alice, raw, stored):
    assert add(alice, name=raw).name == stored


@pytest.mark.parametrize(
    "raw",
    ["<b>张三</b>", "<script>alert(1)</script>", "张三1", "王", "张" * 41, "·张三", "张三·", "张三;", "a&b", "😀张三"],
)
def test_names_that_are_not_personal_names_are_refused_with_a_coded_error(alice, raw):
    error = refused(alice, name=raw)
    assert error.code == "visit_person.name_invalid"
    assert set(error.fields) == {"name"}
    assert not VisitPerson.objects.exists()


def test_a_guardians_name_follows_the_same_rule(alice):
    child_id = resident_id(date(date.today().year - 2, 5, 5), 456)
    error = refused(
        alice, relationship="child", id_number=child_id, guardian_name="<i>x</i>", guardian_id_number=GUARDIAN_ID
    )
    assert error.code == "visit_person.name_invalid"
    assert set(error.fields) == {"guardian_name"}


# --- removal ----------------------------------------------------------------------------------------


def test_a_removed_visit_person_is_kept_but_hidden_and_frees_the_place(alice, settings):
    people = [
        add(alice, relationship="other", id_number=resident_id(date(1960, 1, 1), n + 1))
        for n in range(settings.VISIT_PERSONS_PER_ACCOUNT)
    ]
    services.visit_person_remove(person=people[0], actor=Actor.of(alice))

    people[0].refresh_from_db()
    assert people[0].removed_at is not None  # the row stays for the records
    assert people[0] not in selectors.visit_person_list(account=alice, actor=Actor.of(alice))
    with pytest.raises(DomainError) as error:
        selectors.access_visit_person(user=alice, public_id=people[0].public_id, actor=Actor.of(alice))
    assert error.value.code == "core.not_found"  # so it cannot be chosen for a booking either
    add(alice, relationship="other", id_number=resident_id(date(1960, 1, 1), 99))  # the place is free
    assert AuditEvent.objects.filter(action="visit_person.remove", target_id=str(people[0].public_id)).exists()


def test_a_removed_visit_person_may_be_added_again_and_removing_twice_is_refused(alice):
    first = add(alice)
    services.visit_person_remove(person=first, actor=Actor.of(alice))
    again = add(alice)  # the same ID number, and again as "myself"
    assert again.pk != first.pk
    assert VisitPerson.objects.filter(account=alice).matching(id_number=ADULT_ID).count() == 2
    with pytest.raises(DomainError) as error:
        services.visit_person_remove(person=first, actor=Actor.of(alice))
    assert error.value.code == "core.not_found"


# --- name correction --------------------------------------------------------------------------------


def test_a_name_is_corrected_after_re_entering_the_full_id_number_and_audited_with_old_and_new(alice):
    created = add(alice, name="艾莉斯")
    corrected = services.visit_person_name_correct(
        person=created, name="艾丽斯", id_number=ADULT_ID.lower(), actor=Actor.of(alice)
    )
    assert corrected.name == "艾丽斯"
    entry = AuditEvent.objects.get(action="visit_person.name_correct")
    assert entry.details == {"name": ["艾莉斯", "艾丽斯"]} and entry.target_id == str(created.public_id)


@pytest.mark.parametrize("wrong_id", [GUARDIAN_ID, ADULT_ID[:-4], ""])
def test_a_name_correction_with_another_id_number_is_refused_and_audited(alice, wrong_id):
    created = add(alice, name="艾莉斯")
    with pytest.raises(DomainError) as error:
        services.visit_person_name_correct(person=created, name="别人", id_number=wrong_id, actor=Actor.of(alice))
    assert error.value.code == "visit_person.id_number_mismatch" and set(error.value.fields) == {"id_number"}
    created.refresh_from_db()
    assert created.name == "艾莉斯"
    assert AuditEvent.objects.filter(action="visit_person.name_correct.refused").count() == 1


def test_a_name_correction_must_be_a_personal_name(alice):
    created = add(alice)
    with pytest.raises(DomainError) as error:
        services.visit_person_name_correct(
            person=created, name="<img src=x>", id_number=ADULT_ID, actor=Actor.of(alice)
        )
    assert error.value.code == "visit_person.name_invalid"
