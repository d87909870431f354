"""Input no prescription can have gets a coded error before any rule runs; quantities are worked out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ihospital.core.errors import DomainError
from ihospital.prescriptions import rules
from ihospital.prescriptions.tests.helpers import TODAY, catalogue, check, drug, item, patient


def refused(items, *, who=None, drugs=None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check(items, who=who, drugs=drugs)
    return caught.value


AMLODIPINE = drug("苯磺酸氨氯地平片", "5mg")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        pytest.param({"drug_code": "YP99999"}, "prescription.unknown_drug", "items.0.drug_code", id="unknown drug"),
        pytest.param({"dose_unit": "粒"}, "prescription.unit_mismatch", "items.0.dose_unit", id="capsules of a tablet"),
        pytest.param({"dose_unit": "ml"}, "prescription.unit_mismatch", "items.0.dose_unit", id="ml of a tablet"),
        pytest.param({"dose": 0}, "prescription.impossible_dose", "items.0.dose", id="zero dose"),
        pytest.param({"dose": -5}, "prescription.impossible_dose", "items.0.dose", id="negative dose"),
        pytest.param({"dose": float("nan")}, "prescription.impossible_dose", "items.0.dose", id="not a number"),
        pytest.param({"dose": Decimal("sNaN")}, "prescription.impossible_dose", "items.0.dose", id="a signalling NaN"),
        pytest.param({"dose": "5"}, "prescription.impossible_dose", "items.0.dose", id="a text"),
        pytest.param({"dose": 500}, "prescription.impossible_dose", "items.0.dose", id="fifty times the maximum"),
        pytest.param({"dose": 1, "dose_unit": "g"}, "prescription.impossible_dose", "items.0.dose", id="grams for mg"),
        pytest.param(
            {"frequency": "tds"}, "prescription.unknown_frequency", "items.0.frequency", id="unknown frequency"
        ),
        pytest.param({"route": "eye"}, "prescription.route_mismatch", "items.0.route", id="a tablet into the eye"),
        pytest.param({"days": 0}, "prescription.invalid_days", "items.0.days", id="zero days"),
        pytest.param({"days": -3}, "prescription.invalid_days", "items.0.days", id="negative days"),
        pytest.param({"days": 400}, "prescription.invalid_days", "items.0.days", id="more than a year"),
        pytest.param({"days": 1.5}, "prescription.invalid_days", "items.0.days", id="half a day"),
        pytest.param({"quantity": 0}, "prescription.invalid_quantity", "items.0.quantity", id="no packages"),
        pytest.param({"quantity": -2}, "prescription.invalid_quantity", "items.0.quantity", id="negative quantity"),
        pytest.param({"quantity": 1000}, "prescription.invalid_quantity", "items.0.quantity", id="huge quantity"),
        pytest.param({"quantity": True}, "prescription.invalid_quantity", "items.0.quantity", id="a boolean"),
    ],
)
def test_bad_input_gets_a_coded_error(change, code, field):
    good = rules.Item(AMLODIPINE.code, 5, "mg", "qd", "po", 7)
    error = refused([replace(good, **change)])
    assert error.code == code
    assert field in error.fields
    assert error.status == 422


def test_a_drug_the_rules_do_not_know_is_refused():
    new = replace(AMLODIPINE, code="YP90000", generic_name="新上市片")
    error = refused([rules.Item(new.code, 5, "mg", "qd", "po", 7)], drugs={**catalogue(), new.code: new})
    assert error.code == "prescription.drug_without_rules"


def test_a_cream_needs_its_quantity():
    cream = item("糠酸莫米松乳膏", "0.1%×5g", dose=1, unit="次", route="topical")
    assert refused([cream]).code == "prescription.quantity_required"
    assert check([replace(cream, quantity=2)], diagnoses=["L20.9"]).quantities == (2,)


def test_an_empty_prescription_is_refused():
    assert refused([]).code == "prescription.no_items"


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(rules.Patient(birth_date=date(TODAY.year + 1, 1, 1), sex="male"), id="born tomorrow"),
        pytest.param(patient(weight_kg=0), id="weighs nothing"),
        pytest.param(patient(weight_kg=900), id="weighs a tonne"),
        pytest.param(patient(sex="male", pregnant=True), id="a pregnant man"),
    ],
)
def test_impossible_patient_facts_are_refused(who):
    assert refused([item("苯磺酸氨氯地平片", "5mg", 5, "mg")], who=who).code == "prescription.invalid_patient"


def test_the_error_message_names_the_drug_and_the_units_it_comes_in():
    error = refused([item("阿莫西林胶囊", "0.5g", 1, "片", "tid")])
    assert "阿莫西林胶囊 0.5g" in error.message
    assert "粒" in error.message and "mg" in error.message


@pytest.mark.parametrize(
    ("prescribed", "packages"),
    [
        pytest.param(item("苯磺酸氨氯地平片", "5mg", 5, "mg", days=28), 4, id="one tablet a day, 28 days, 7 a box"),
        pytest.param(item("苯磺酸氨氯地平片", "5mg", 10, "mg", days=7), 2, id="two tablets a day"),
        pytest.param(item("苯磺酸氨氯地平片", "5mg", 2.5, "mg", days=7), 1, id="half a tablet a day"),
        pytest.param(item("苯磺酸氨氯地平片", "5mg", 1, "片", days=14), 2, id="written in tablets"),
        pytest.param(
            item("布洛芬混悬液", dose=10, unit="ml", frequency="tid", days=5), 2, id="150 ml of 100 ml bottles"
        ),
        pytest.param(item("布洛芬混悬液", dose=200, unit="mg", frequency="tid", days=5), 2, id="the same in mg"),
        pytest.param(
            item("甘精胰岛素注射液", dose=20, unit="单位", route="sc", days=28), 2, id="560 units of 300 a pen"
        ),
        pytest.param(item("硫酸沙丁胺醇吸入气雾剂", dose=2, unit="揿", frequency="qid", route="inh"), 1, id="puffs"),
        pytest.param(
            item("硫酸沙丁胺醇吸入气雾剂", dose=2, unit="吸", frequency="qid", route="inh", days=28), 2, id="224 puffs"
        ),
        pytest.param(item("玻璃酸钠滴眼液", dose=1, unit="滴", frequency="qid", route="eye"), 1, id="drops"),
        pytest.param(item("阿仑膦酸钠片", dose=70, unit="mg", frequency="qw", days=28), 4, id="weekly"),
        pytest.param(item("磷霉素氨丁三醇散", dose=3, unit="g", frequency="st", days=3), 1, id="once, now"),
        pytest.param(
            item("对乙酰氨基酚片", dose=500, unit="mg", frequency="prn", days=3), 1, id="when needed: 9 of 10"
        ),
        pytest.param(
            item("羧甲司坦口服溶液", dose=10, unit="ml", frequency="tid", days=7), 2, id="21 vials of 12 a box"
        ),
    ],
)
def test_the_quantity_is_worked_out_from_dose_frequency_and_days(prescribed, packages):
    assert rules.quantity(prescribed, catalogue()[prescribed.drug_code]) == packages


def test_a_cream_quantity_cannot_be_worked_out():
    cream = item("糠酸莫米松乳膏", "0.1%×5g", dose=1, unit="次", route="topical")
    assert rules.quantity(cream, catalogue()[cream.drug_code]) is None


def test_the_checked_quantities_are_those_entered_or_worked_out():
    result = check(
        [item("苯磺酸氨氯地平片", "5mg", 5, "mg", days=7, quantity=2), item("厄贝沙坦片", "150mg", 150, "mg")]
    )
    assert result.quantities == (2, 1)


UNITS = ["mg", "g", "μg", "单位", "片", "粒", "袋", "丸", "支", "ml", "吸", "揿", "滴", "次", "盒", "", "kg"]
FREQUENCIES = ["qd", "bid", "tid", "qid", "qn", "q8h", "q12h", "qw", "st", "prn", "tds", ""]
ROUTES = ["po", "sl", "inh", "nasal", "eye", "topical", "sc", "pr", "iv", ""]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    codes=st.lists(st.sampled_from(sorted(catalogue())), min_size=1, max_size=7),
    dose=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**7), st.decimals()),
    unit=st.sampled_from(UNITS),
    frequency=st.sampled_from(FREQUENCIES),
    route=st.sampled_from(ROUTES),
    days=st.one_of(st.integers(-5, 500), st.floats(0, 10)),
    quantity=st.one_of(st.none(), st.integers(-5, 200)),
    age=st.floats(0, 105),
)
def test_any_input_is_checked_or_refused_with_a_code(codes, dose, unit, frequency, route, days, quantity, age):
    items = [rules.Item(code, dose, unit, frequency, route, days, quantity) for code in codes]
    try:
        result = check(items, who=patient(age, allergy_drugs=("青霉素", "x")), diagnoses=["I10"])
    except DomainError as error:
        assert error.code.startswith("prescription.")
        return
    assert len(result.quantities) == len(items)
    assert all(f.severity in ("block", "warn", "info") and f.version for f in result.findings)
    for finding in result.findings:
        assert finding.explanation
