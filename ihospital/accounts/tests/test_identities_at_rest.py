"""Phone and resident ID numbers are encrypted at rest (issue 10.4): the raw rows hold no plaintext, the
blind index still finds them, and people see them masked except where their own role needs the whole."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection, transaction

from ihospital.accounts import services
from ihospital.accounts.idcard import check_character
from ihospital.accounts.models import User, VisitPerson
from ihospital.audit.services import Actor
from ihospital.core import crypto
from ihospital.core.fields import EncryptedField
from ihospital.integrations.models import SandboxSms

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
ADULT_ID = "11010519491231002X"
GUARDIAN_ID = "32050519880412122" + check_character("32050519880412122")
VISITOR = Actor(ip="203.0.113.9", user_agent="test")


def raw_row(model, pk) -> dict:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


@pytest.fixture
def sign_in(django_capture_on_commit_callbacks):
    """Sign in by SMS code as a patient would, reading the code from the sandbox's inbox."""

    def sign_in_with(phone: str = PHONE) -> User:
        with django_capture_on_commit_callbacks(execute=True):
            services.sms_code_send(phone=phone, actor=VISITOR)
        return _enter_code(phone)

    return sign_in_with


def _enter_code(phone: str) -> User:
    text = SandboxSms.objects.filter(phone=re.sub(r"\D", "", phone)[-11:]).order_by("-pk").first().text
    code = re.search(r"\b(\d{6})\b", text).group(1)
    consent = services.ConsentGiven(
        notice_version=settings.PRIVACY_NOTICE_VERSION, privacy_notice=True, health_data=True
    )
    return services.patient_sign_in(phone=phone, code=code, actor=VISITOR, consent=consent)


@pytest.fixture
def child(alice):
    first17 = f"110105{date.today().year - 2}0101003"
    data = services.VisitPersonInput(
        relationship="child",
        name="小明",
        id_number=first17 + check_character(first17),
        phone="13800000001",
        guardian_name="艾丽斯",
        guardian_id_number=GUARDIAN_ID,
        guardian_phone="13700000000",
    )
    return services.visit_person_create(account=alice, data=data, actor=Actor.of(alice))


def test_a_visit_persons_raw_row_holds_no_plaintext_identity(child):
    row = raw_row(VisitPerson, child.pk)
    stored = " ".join(str(value) for value in row.values())
    for secret in (child.id_number, "13800000001", GUARDIAN_ID, "13700000000"):
        assert secret not in stored
    for column in ("id_number", "phone", "guardian_id_number", "guardian_phone"):
        assert row[column].startswith(f"enc1${crypto.current_key_id()}$")
    assert row["id_number_index"] == crypto.blind_index(crypto.ID_NUMBER, child.id_number)


def test_an_accounts_raw_row_holds_no_plaintext_phone_and_a_new_patients_user_name_does_not_either(sign_in):
    user = sign_in()
    row = raw_row(User, user.pk)
    assert PHONE not in " ".join(str(value) for value in row.values())
    assert row["phone"].startswith("enc1$") and row["phone_index"] == crypto.blind_index(crypto.PHONE, PHONE)
    assert User.objects.get(pk=user.pk).phone == PHONE


def test_a_patient_signs_in_again_by_phone_into_the_same_account(sign_in, settings):
    settings.SMS_RESEND_INTERVAL_SECONDS = 0
    first = sign_in()
    assert sign_in("+86 139-1234-5678").pk == first.pk
    assert User.objects.filter(role="patient").count() == 1


def test_lookup_by_phone_finds_the_account_in_any_formatting(alice):
    assert User.objects.matching(phone="+86 138 0000 0001").get() == alice
    assert not User.objects.matching(phone="13800000009").exists()


def test_filtering_on_an_encrypted_value_is_refused_rather_than_finding_nothing(alice):
    with pytest.raises(FieldError, match="matching"):
        list(User.objects.filter(phone="13800000001"))
    with pytest.raises(FieldError):
        list(VisitPerson.objects.filter(id_number__startswith="1101"))


def test_two_accounts_cannot_hold_one_phone_number(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="other", role="patient", phone="13800000001")


def test_one_account_cannot_register_one_id_number_twice_even_at_the_database(alice):
    person = services.visit_person_create(
        account=alice,
        data=services.VisitPersonInput(relationship="self", name="艾丽斯", id_number=ADULT_ID, phone="13800000001"),
        actor=Actor.of(alice),
    )
    duplicate = VisitPerson(
        account=alice,
        relationship="parent",
        name="x",
        id_number=ADULT_ID.lower(),
        birth_date=person.birth_date,
        sex=person.sex,
        phone="13800000001",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_changing_a_phone_by_update_keeps_its_index_in_step(child):
    services.visit_person_update(person=child, changes={"guardian_phone": "13600000000"}, actor=VISITOR)
    assert VisitPerson.objects.get(pk=child.pk).guardian_phone == "13600000000"
    User.objects.filter(pk=child.account_id).update(phone="13500000000")
    assert User.objects.matching(phone="13500000000").get().pk == child.account_id


def test_changing_phones_by_bulk_update_keeps_their_indexes_in_step(alice, mallory):
    alice.phone, mallory.phone = "13500000001", "13500000002"
    User.objects.bulk_update([alice, mallory], ["phone"])
    assert User.objects.matching(phone="13500000002").get() == mallory
    assert not User.objects.matching(phone="13800000001").exists()


def test_a_tampered_row_is_refused_not_read(child):
    row = raw_row(VisitPerson, child.pk)
    token = row["phone"]
    swapped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {VisitPerson._meta.db_table} SET phone = %s WHERE id = %s", [swapped, child.pk])
    with pytest.raises(crypto.DecryptionError):
        VisitPerson.objects.get(pk=child.pk)


def test_a_ciphertext_copied_from_a_phone_column_into_an_id_number_column_is_refused(child):
    row = raw_row(VisitPerson, child.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {VisitPerson._meta.db_table} SET id_number = %s WHERE id = %s", [row["phone"], child.pk]
        )
    with pytest.raises(crypto.DecryptionError):
        VisitPerson.objects.get(pk=child.pk)


def test_people_see_the_numbers_masked_and_the_his_reads_the_whole(child, alice):
    assert child.masked_id_number == child.id_number[:6] + "********" + child.id_number[-4:]
    assert child.masked_guardian_id_number == "320505********" + GUARDIAN_ID[-4:]
    assert child.masked_phone == "138****0001"
    assert alice.masked_phone == "138****0001"
    assert child.resident_id_number() == child.id_number and len(child.id_number) == 18


def test_the_patients_own_api_shows_the_id_number_masked(client, alice, child):
    from ihospital.accounts.services import api_token_issue

    secret, _token = api_token_issue(user=alice, actor=VISITOR)
    persons = client.get("/api/patient/v1/visit-persons", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert persons[0]["id_number_masked"] == child.masked_id_number
    assert child.id_number not in str(persons)


def test_the_back_office_shows_an_accounts_phone_masked_and_finds_it_by_the_whole(admin_client_for, alice):
    client = admin_client_for("security_admin")
    page = client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "138****0001" in page and "13800000001" not in page
    found = client.get("/admin/accounts/user/", {"q": "13800000001"}).content.decode()
    assert f"/admin/accounts/user/{alice.pk}/change/" in found


def test_an_encrypted_field_cannot_be_declared_unique():
    with pytest.raises(Exception, match="BlindIndexField"):
        EncryptedField(kind=crypto.PHONE, unique=True)


def _encrypt_migration(loader):
    return next(key for key in loader.graph.nodes if key[0] == "accounts" and key[1].endswith("encrypt_identities"))


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_going_back_decrypts_them():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    target = _encrypt_migration(executor.loader)
    (before,) = [parent for parent in executor.loader.graph.node_map[target].parents if parent.key[0] == "accounts"]
    executor.migrate([before.key])
    old = executor.loader.project_state(before.key).apps
    account = old.get_model("accounts", "User").objects.create(username=f"p{PHONE}", role="patient", phone=PHONE)
    person = old.get_model("accounts", "VisitPerson").objects.create(
        account_id=account.pk,
        relationship="self",
        name="张三",
        id_number=ADULT_ID,
        birth_date=date(1949, 12, 31),
        sex="female",
        phone=PHONE,
    )

    executor = MigrationExecutor(connection)
    executor.migrate([target])
    row = raw_row(VisitPerson, person.pk)
    assert row["id_number"].startswith("enc1$") and ADULT_ID not in str(row)
    assert row["id_number_index"] == crypto.blind_index(crypto.ID_NUMBER, ADULT_ID)
    assert raw_row(User, account.pk)["phone_index"] == crypto.blind_index(crypto.PHONE, PHONE)
    assert PHONE not in raw_row(User, account.pk)["username"]  # signed up as p<phone>: renamed

    executor = MigrationExecutor(connection)
    executor.migrate([before.key])
    assert raw_row(VisitPerson, person.pk)["id_number"] == ADULT_ID
    assert raw_row(User, account.pk)["phone"] == PHONE

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert User.objects.matching(phone=PHONE).get().pk == account.pk
    assert VisitPerson.objects.get(pk=person.pk).id_number == ADULT_ID
