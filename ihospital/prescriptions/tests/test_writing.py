"""Writing a prescription: the draft on the signed record, items from the HIS catalogue with their quantity
worked out, the checks run on every change, and bad input refused with a code, changing nothing, audited."""

from decimal import Decimal

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import code_of
from ihospital.prescriptions import rules, services
from ihospital.prescriptions.models import Prescription, PrescriptionItem
from ihospital.prescriptions.selectors import catalogue
from ihospital.prescriptions.tests.factories import added, amlodipine, opened, submitted, too_much_amlodipine
from ihospital.prescriptions.tests.helpers import drug

pytestmark = pytest.mark.django_db(transaction=True)


def refusals(code: str) -> int:
    return AuditEvent.objects.filter(action__endswith=".refused", details__code=code).count()


def test_no_prescription_before_the_record_is_signed(in_progress, dr_bob, can_sign):
    assert code_of(lambda: opened(dr_bob, in_progress)) == "prescription.no_signed_record"
    assert Prescription.objects.count() == 0
    assert refusals("prescription.no_signed_record") == 1


def test_only_the_consultations_doctor_prescribes(in_progress, signed_record, dr_erin):
    assert code_of(lambda: opened(dr_erin, in_progress)) == "prescription.not_your_patient"


def test_the_draft_takes_the_signed_records_diagnoses_and_opening_again_finds_it(in_progress, signed_record, dr_bob):
    version = opened(dr_bob, in_progress)
    assert [d["code"] for d in version.diagnoses] == ["I10", "J06.9"]
    assert version.record_version == signed_record
    assert opened(dr_bob, in_progress).pk == version.pk
    assert Prescription.objects.get().status == "draft"


def test_adding_a_drug_works_out_the_packages_and_the_amount_and_runs_the_checks(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine(days=14, dose="5"))
    item = version.items.get()
    box = drug("苯磺酸氨氯地平片", "5mg")
    assert (item.drug_code, item.drug_name, item.strength, item.quantity) == (box.code, box.generic_name, "5mg", 2)
    assert item.unit_price_fen == box.price_fen
    assert version.prescription.amount_fen == Prescription.objects.get().amount_fen == 2 * box.price_fen
    assert [f["rule"] for f in version.findings] == ["supply/days"]  # 14 days: more than 7 is blocked
    assert version.findings[0]["severity"] == "block" and version.rule_versions["supply"]
    version = services.prescription_item_change(
        doctor=dr_bob, version=version, position=1, item=amlodipine(), revision=version.revision, actor=Actor.of(dr_bob)
    )
    assert version.findings == [] and version.items.get().quantity == 1


def test_a_warning_is_explained_in_the_doctors_words(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), too_much_amlodipine())
    (finding,) = version.findings
    assert finding["severity"] == "warn" and finding["rule"] == "doses/per_day_above_max"
    assert "20 mg" in rules.render(finding["message"], finding["params"])


def test_removing_a_drug_checks_the_rest(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), too_much_amlodipine())
    version = added(dr_bob, version, amlodipine())
    assert {f["rule"] for f in version.findings} >= {"doses/per_day_above_max"}
    assert any(f["rule"].startswith("duplicates/") for f in version.findings)
    version = services.prescription_item_remove(
        doctor=dr_bob, version=version, position=1, revision=version.revision, actor=Actor.of(dr_bob)
    )
    assert [i.dose for i in version.items.all()] == [Decimal("5.000")]
    assert version.findings == []


BAD_ITEMS = [
    ("unknown drug", dict(code="YP99999"), "prescription.unknown_drug"),
    ("zero dose", dict(dose="0"), "prescription.impossible_dose"),
    ("negative dose", dict(dose="-5"), "prescription.impossible_dose"),
    ("huge dose", dict(dose="50000"), "prescription.impossible_dose"),
    ("dose in a unit the drug does not come in", dict(unit="ml"), "prescription.unit_mismatch"),
    ("unknown frequency", dict(frequency="hourly"), "prescription.unknown_frequency"),
    ("route the form does not allow", dict(route="eye"), "prescription.route_mismatch"),
    ("no days", dict(days=0), "prescription.invalid_days"),
    ("negative quantity", dict(quantity=-1), "prescription.invalid_quantity"),
    ("huge quantity", dict(quantity=100000), "prescription.invalid_quantity"),
]


@pytest.mark.parametrize(("case", "change", "code"), BAD_ITEMS, ids=[c[0] for c in BAD_ITEMS])
def test_bad_input_is_refused_with_its_code_changes_nothing_and_is_audited(
    in_progress, signed_record, dr_bob, case, change, code
):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine())
    values = dict(dose="5", unit="mg", frequency="qd", days=7, quantity=None, route="po") | change
    item = amlodipine(**{k: v for k, v in values.items() if k != "code"})
    if "code" in change:
        item = rules.Item(change["code"], item.dose, item.dose_unit, item.frequency, item.route, item.days)
    assert code_of(lambda: added(dr_bob, version, item)) == code
    after = version.__class__.objects.get(pk=version.pk)
    assert after.revision == version.revision and PrescriptionItem.objects.count() == 1
    assert refusals(code) == 1


def test_a_stale_tab_is_refused(in_progress, signed_record, dr_bob):
    first = opened(dr_bob, in_progress)
    added(dr_bob, first, amlodipine())
    assert code_of(lambda: added(dr_bob, first, amlodipine())) == "prescription.stale"


def test_another_doctor_cannot_edit(in_progress, signed_record, dr_bob, dr_erin):
    version = opened(dr_bob, in_progress)
    assert code_of(lambda: added(dr_erin, version, amlodipine())) == "prescription.not_your_patient"


def test_a_signed_version_cannot_be_edited_and_the_database_refuses_it_too(in_progress, signed_record, dr_bob):
    from django.db import DatabaseError, transaction

    version = submitted(dr_bob, added(dr_bob, opened(dr_bob, in_progress), amlodipine()))
    assert code_of(lambda: added(dr_bob, version, amlodipine())) == "prescription.not_editable"
    assert refusals("prescription.not_editable") == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        PrescriptionItem.objects.filter(version=version).update(quantity=5)
    with pytest.raises(DatabaseError), transaction.atomic():
        version.__class__.objects.filter(pk=version.pk).update(warn_reasons={"x": "changed"})
    assert version.items.get().quantity == 1


def test_facts_are_checked(in_progress, signed_record, dr_bob):
    version = added(dr_bob, opened(dr_bob, in_progress), amlodipine())

    def facts(**values):
        return services.prescription_facts_set(
            doctor=dr_bob, version=version, facts=services.Facts(**values), revision=version.revision,
            actor=Actor.of(dr_bob),
        )  # fmt: skip

    assert code_of(lambda: facts(weight_kg=Decimal("0"))) == "prescription.invalid_weight"
    person = in_progress.appointment.visit_person
    if person.sex == "male":
        assert code_of(lambda: facts(pregnant=True)) == "prescription.invalid_patient"
    version = facts(weight_kg=Decimal("70.5"), guardian_present=True)
    assert version.weight_kg == Decimal("70.5") and version.guardian_present


def test_the_catalogue_is_searched_by_name_pinyin_initials_or_code_with_stock():
    by_name = catalogue.drug_search("氨氯地平")
    assert by_name and all("氨氯地平" in d.generic_name for d in by_name)
    amlodipine_codes = {d.code for d in by_name if d.generic_name == "苯磺酸氨氯地平片"}
    assert {d.code for d in catalogue.drug_search("aldp")} >= amlodipine_codes
    assert catalogue.drug_search("YP00001")[0].code == "YP00001"
    assert any(d.stock for d in by_name)
    assert catalogue.drug_search("") == []
