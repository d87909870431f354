"""The 导诊 rules file is checked against its pydantic models when loaded and by a system check at start-up."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from ihospital.core.rulefiles import RulesError, load_rules
from ihospital.scheduling import guidance
from ihospital.scheduling.checks import symptom_rules_check
from ihospital.scheduling.symptom_rules import SymptomRules

KNOWN = {"known_codes": guidance.KNOWN_DEPARTMENT_CODES}


def valid() -> dict:
    return {
        "negations": {"zh": ["没有"], "en": ["no"]},
        "departments": [
            {
                "code": "cardiology",
                "name_zh": "心血管内科",
                "name_en": "Cardiology",
                "zh": {"胸痛": 4},
                "en": {"chest pain": 4},
            },
            {
                "code": "internal",
                "name_zh": "内科",
                "name_en": "Internal Medicine",
                "zh": {"发烧": 3},
                "en": {"fever": 3},
            },
        ],
        "red_flags": [["胸痛", "大汗"], ["昏迷"]],
    }


def write(tmp_path, rules: dict):
    path = tmp_path / "symptom_rules.json"
    path.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_shipped_file_validates_against_the_hospitals_departments():
    rules = load_rules(guidance.DEFAULT_RULES_PATH, SymptomRules, context=KNOWN)
    assert {department.code for department in rules.departments} <= guidance.KNOWN_DEPARTMENT_CODES
    assert rules.red_flags and rules.negations.zh and rules.negations.en


def test_a_valid_file_compiles_to_the_rules_guidance_uses(tmp_path):
    rules = guidance.load_rules(write(tmp_path, valid()))
    assert [rule.code for rule in rules.departments] == ["cardiology", "internal"]
    assert guidance.guide("胸痛，出了一身大汗", rules=rules).emergency is True
    assert guidance.suggest_departments("no chest pain, fever", rules=rules)[0].department_code == "internal"


def _set(rules: dict, path: tuple, value) -> dict:
    """``rules`` with the entry at ``path`` (keys and indexes) set to ``value``."""
    target = rules
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return rules


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        # unknown field
        (("departments", 0, "colour", "red"), "departments[0]", "unknown keys ['colour']"),
        (("redflags", []), "", "unknown keys ['redflags']"),
        (("negations", "fr", ["non"]), "negations", "unknown keys ['fr']"),
        # empty lists and objects
        (("departments", 0, "zh", {}), "departments[0].zh", "must be a non-empty object"),
        (("departments", []), "departments", "must be a non-empty list"),
        (("red_flags", 1, []), "red_flags[1]", "must be a non-empty list"),
        # wrong types: strict, no "4" for 4, no true for 1
        (("departments", 0, "zh", "胸痛", "4"), "departments[0].zh.胸痛", "Input should be a valid integer"),
        (("departments", 1, "en", "fever", True), "departments[1].en.fever", "Input should be a valid integer"),
        (("red_flags", 0, 1, 3), "red_flags[0][1]", "Input should be a valid string"),
        (("departments", 0, "zh", ["胸痛"]), "departments[0].zh", "must be an object"),
        # values out of range or of the wrong shape
        (("departments", 0, "en", "chest pain", 11), "departments[0].en", "weight of 'chest pain' must be"),
        (("departments", 0, "code", "Cardiology"), "departments[0].code", "String should match pattern"),
        (("departments", 0, "name_zh", "  "), "departments[0].name_zh", "must not be blank"),
        (("departments", 0, "zh", "！", 2), "departments[0].zh['！'] (the key)", "empty term '！'"),
        (("negations", "en", 0, "absolutely not ever"), "negations.en[0]", "at most 15 characters"),
        # dangling reference: a department the hospital does not have
        (("departments", 1, "code", "cardio"), "departments[1].code", "unknown department code 'cardio'"),
        # the same thing twice
        (("departments", 1, "code", "cardiology"), "departments", "department 'cardiology' is listed twice"),
        (("departments", 0, "en", "CHEST  PAIN", 1), "departments[0]", "term 'CHEST  PAIN' is listed twice"),
        (("red_flags", 1, ["大汗", "胸痛"]), "red_flags", "red_flags[0] and [1] are the same red flag"),
        (("red_flags", 1, ["昏迷", "昏迷"]), "red_flags", "red_flags[1] lists '昏迷' twice"),
    ],
)
def test_a_bad_entry_is_refused_with_its_json_path(tmp_path, change, where, problem):
    *key, value = change
    path = write(tmp_path, _set(valid(), tuple(key), value))
    with pytest.raises(RulesError) as caught:
        guidance.load_rules(path)
    assert [(w, p) for w, p in caught.value.problems if w == where and problem in p], caught.value.problems
    assert str(caught.value).startswith(f"{path.resolve()}: ")


def test_a_key_written_twice_is_refused(tmp_path):
    path = tmp_path / "symptom_rules.json"
    text = json.dumps(valid(), ensure_ascii=False).replace('"code": "internal"', '"code": "internal", "code": "tcm"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        guidance.load_rules(path)
    assert caught.value.problems == (("departments[1]", "duplicate keys ['code']"),)


# ------------------------------------------------------------------------------------------------ system check


def test_the_system_check_passes_with_the_shipped_file():
    assert symptom_rules_check() == []


def test_the_system_check_reports_a_broken_file(tmp_path, monkeypatch):
    broken = valid()
    broken["departments"][0]["zh"] = {}
    path = write(tmp_path, broken)
    monkeypatch.setattr(guidance, "DEFAULT_RULES_PATH", path)
    [error] = symptom_rules_check()
    assert error.id == "scheduling.E001"
    assert f"{path.resolve()}: departments[0].zh must be a non-empty object" in error.msg
    with pytest.raises(SystemCheckError, match="scheduling.E001"):
        call_command("check")


def test_the_system_check_stays_out_of_other_apps_checks(tmp_path, monkeypatch):
    monkeypatch.setattr(guidance, "DEFAULT_RULES_PATH", tmp_path / "missing.json")
    assert symptom_rules_check(app_configs=[apps.get_app_config("accounts")]) == []
    assert symptom_rules_check(app_configs=[apps.get_app_config("scheduling")])[0].id == "scheduling.E001"
