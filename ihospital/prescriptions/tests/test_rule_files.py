"""The rule files: they cover the catalogue, record their versions, explain in both languages, and a broken
file is refused (by the loader and by the system check ``prescriptions.E001``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.checks.registry import registry  # noqa: F401  (the check is registered by the app)
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import translation

from ihospital.core.rulefiles import RulesError
from ihospital.prescriptions import rules
from ihospital.prescriptions.checks import prescription_rules_check
from ihospital.prescriptions.rules import book as book_module
from ihospital.prescriptions.rules.packaging import parse
from ihospital.prescriptions.tests.helpers import catalogue, check, item

DATA = book_module.DEFAULT_DIRECTORY


def test_every_catalogue_drug_has_ingredients_classes_doses_and_indications():
    book = rules.rulebook()
    missing = []
    for entry in catalogue().values():
        product = book.products.get(entry.generic_name)
        if product is None or not product.ingredients or not product.indications:
            missing.append(entry.generic_name)
            continue
        assert product.keys - set(product.ingredients), f"{entry.generic_name} has no class"
    assert missing == []


def test_every_catalogue_drug_packaging_is_read_and_its_dose_unit_fits():
    book = rules.rulebook()
    for entry in catalogue().values():
        packaging = parse(entry.strength, entry.package)
        unit = book.products[entry.generic_name].doses.unit
        assert packaging.count >= 1, entry
        assert unit in (*packaging.units(), "次"), (entry.generic_name, unit, packaging)


def test_the_interaction_table_is_large_and_every_pair_has_a_severity_and_a_source():
    pairs = rules.rulebook().interactions.pairs
    assert len(pairs) >= 200
    assert {p.severity for p in pairs} == {"block", "warn", "info"}
    assert all(p.source.strip() and p.zh.strip() and p.en.strip() for p in pairs)


def test_every_check_records_the_versions_of_the_rules_that_ran():
    result = check(
        [item("华法林钠片", "2.5mg", 2.5, "mg"), item("布洛芬缓释胶囊", dose=300, unit="mg", frequency="bid")]
    )
    book = rules.rulebook()
    assert set(result.versions) == set(book_module.FAMILIES)
    for family, version in result.versions.items():
        declared = json.loads((DATA / f"{family}.json").read_text(encoding="utf-8"))["version"]
        assert version.version == declared
        assert str(version).startswith(f"{declared}+")
    for finding in result.findings:
        assert finding.version == str(book.versions[finding.family])
    [interaction] = [f for f in result.findings if f.family == "interactions"]
    assert interaction.as_dict()["version"] == str(book.versions["interactions"])


def test_the_explanation_is_in_the_doctors_words_in_both_languages():
    result = check([item("阿莫西林胶囊", "0.5g", 1500, "mg", "bid")], diagnoses=["J02.9"])
    [finding] = [f for f in result.findings if f.rule == "doses/per_dose_above_max"]
    with translation.override("zh-hans"):
        assert finding.explanation == "阿莫西林胶囊 0.5g 单次剂量 1500 mg，超过成人单次最高剂量 1000 mg。"
    with translation.override("en"):
        assert finding.explanation == (
            "A single dose of 1500 mg of amoxicillin 0.5g (阿莫西林胶囊) is above the highest of 1000 mg for adults."
        )


def test_an_interaction_is_explained_with_its_effect_and_source():
    result = check(
        [item("华法林钠片", "2.5mg", 2.5, "mg"), item("布洛芬缓释胶囊", dose=300, unit="mg", frequency="bid")]
    )
    [finding] = [f for f in result.findings if f.rule == "interactions/warfarin+nsaids"]
    with translation.override("zh-hans"):
        assert finding.explanation.startswith("华法林钠片 2.5mg 与 布洛芬缓释胶囊 0.3g 合用：出血风险增加")
    with translation.override("en"):
        assert finding.explanation.startswith(
            "warfarin 2.5mg (华法林钠片) with ibuprofen 0.3g (布洛芬缓释胶囊): Higher risk"
        )
    assert "BNF" in finding.source and finding.items == (0, 1)


def test_a_stored_finding_renders_again_in_the_readers_language():
    [finding] = check([item("苯磺酸氨氯地平片", "5mg", 5, "mg", days=8)]).findings
    stored = json.loads(json.dumps(finding.as_dict(), ensure_ascii=False))
    with translation.override("en"):
        assert rules.render(stored["message"], stored["params"]) == (
            "amlodipine 5mg (苯磺酸氨氯地平片) is prescribed for 8 days; a prescription covers at most 7 days."
        )
    with translation.override("zh-hans"):
        assert (
            rules.render(stored["message"], stored["params"])
            == "苯磺酸氨氯地平片 5mg 开具 8 天，处方一般不得超过 7 天用量。"
        )


# --------------------------------------------------------------------------------------------- broken files


@pytest.fixture
def data(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


def edit(directory: Path, name: str, change) -> Path:
    path = directory / name
    content = json.loads(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "change", "where", "problem"),
    [
        pytest.param(
            "interactions.json",
            lambda c: c["pairs"][0].update(severity="fatal"),
            "pairs[0].severity",
            "Input should be 'block', 'warn' or 'info'",
            id="unknown severity",
        ),
        pytest.param(
            "interactions.json",
            lambda c: c["pairs"][0].update(b="nsaid"),
            "pairs",
            "unknown code 'nsaid'",
            id="unknown code",
        ),
        pytest.param(
            "interactions.json",
            lambda c: c["pairs"].append(dict(c["pairs"][0], a=c["pairs"][0]["b"], b=c["pairs"][0]["a"])),
            "pairs",
            "the same pair",
            id="a pair twice",
        ),
        pytest.param(
            "doses.json",
            lambda c: c["products"]["苯磺酸氨氯地平片"].update(per_dose=[10, 2.5]),
            "products.苯磺酸氨氯地平片.per_dose",
            "the lowest value 10 is above the highest 2.5",
            id="a range upside down",
        ),
        pytest.param(
            "doses.json",
            lambda c: c["products"].pop("苯磺酸氨氯地平片"),
            "products",
            "no dose entry",
            id="a product without doses",
        ),
        pytest.param(
            "drugs.json",
            lambda c: c["ingredients"]["amlodipine"].update(classes=["ccb"]),
            "",
            "unknown class 'ccb'",
            id="an ingredient of an unknown class",
        ),
        pytest.param(
            "supply.json",
            lambda c: c.update(version="v2"),
            "version",
            "String should match pattern",
            id="a version that is not year.number",
        ),
        pytest.param(
            "indications.json",
            lambda c: c["codes"].update(amlodipine=["i10"]),
            "codes.amlodipine[0]",
            "String should match pattern",
            id="a lower-case ICD-10 code",
        ),
    ],
)
def test_a_broken_rule_file_is_refused_with_its_path(data, name, change, where, problem):
    path = edit(data, name, change)
    with pytest.raises(RulesError) as caught:
        rules.rulebook(data)
    assert caught.value.path.name == path.name
    assert [(w, p) for w, p in caught.value.problems if w == where and problem in p], caught.value.problems


def test_the_system_check_passes_with_the_shipped_files():
    assert prescription_rules_check() == []


def test_the_system_check_reports_a_broken_file(data, monkeypatch):
    edit(data, "interactions.json", lambda c: c["pairs"][0].update(severity="fatal"))
    monkeypatch.setattr(book_module, "DEFAULT_DIRECTORY", data)
    [error] = prescription_rules_check()
    assert error.id == "prescriptions.E001"
    assert "interactions.json: pairs[0].severity" in error.msg
    with pytest.raises(SystemCheckError, match="prescriptions.E001"):
        call_command("check")


def test_the_system_check_stays_out_of_other_apps_checks(data, monkeypatch):
    (data / "online.json").unlink()
    monkeypatch.setattr(book_module, "DEFAULT_DIRECTORY", data)
    assert prescription_rules_check(app_configs=[apps.get_app_config("accounts")]) == []
    assert prescription_rules_check(app_configs=[apps.get_app_config("prescriptions")])[0].id == "prescriptions.E001"


def test_the_shipped_files_load_once(monkeypatch):
    first = rules.rulebook()
    monkeypatch.setattr(book_module, "load_rules", None)  # a second load would fail
    assert rules.rulebook() is first
