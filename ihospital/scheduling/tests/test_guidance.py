"""导诊: ranked department suggestions from free text in Chinese or English, and the emergency flag."""

import json
import re

import pytest
from django.utils import translation

from ihospital.core.errors import DomainError
from ihospital.core.testing.personas import make_user
from ihospital.scheduling.guidance import (
    DEFAULT_RULES_PATH,
    MAX_TEXT_LENGTH,
    Suggestion,
    departments_for,
    guide,
    guide_for_patients,
    load_rules,
    suggest_departments,
)
from ihospital.scheduling.models import Department, DoctorProfile

BRIEFED_CODES = {
    "cardiology",
    "respiratory",
    "gastro",
    "endocrine",
    "nephrology",
    "neurology",
    "general_surgery",
    "orthopedics",
    "urology",
    "gynecology",
    "pediatrics",
    "dermatology",
    "ophthalmology",
    "ent",
    "tcm",
    "psych_counsel",
    "internal",
}


def codes(text: str, **kwargs) -> list[str]:
    return [suggestion.department_code for suggestion in suggest_departments(text, **kwargs)]


def department(code: str, *terms: str, weight: int = 1, en: dict | None = None) -> dict:
    return {
        "code": code,
        "name_zh": f"{code}科",
        "name_en": code.title(),
        "zh": {term: weight for term in terms},
        "en": en or {f"{code} word": 1},
    }


def write_rules(tmp_path, departments: list, red_flags: list | None = None, *, name="rules.json", **extra):
    path = tmp_path / name
    rules = {"departments": departments, "red_flags": red_flags or [], **extra}
    path.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ shipped rules


def test_chinese_complaint_points_to_cardiology_with_a_reason():
    with translation.override("zh-hans"):
        [first] = suggest_departments("最近胸痛、心悸，有高血压", limit=1)
    assert first == Suggestion("cardiology", 12, ("胸痛", "心悸", "高血压"), "胸痛、心悸、高血压 → 心血管内科")


def test_english_complaint_gets_an_english_reason():
    with translation.override("en"):
        [first, *_] = suggest_departments("Chest pain and PALPITATIONS since Monday.")
    assert first.department_code == "cardiology"
    assert first.reason == "chest pain, palpitation → Cardiology"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("咳嗽两周，有痰", "respiratory"),
        ("胃胀反酸，烧心", "gastro"),
        ("血糖高，口渴", "endocrine"),
        ("脸上起了湿疹，皮肤痒", "dermatology"),
        ("尿频尿急", "urology"),
        ("痛经，月经不调", "gynecology"),
        ("耳鸣，听力下降", "ent"),
        ("最近压力大，焦虑睡不着", "psych_counsel"),
        ("想用中药调理一下体质", "tcm"),
        ("发烧，全身乏力", "internal"),
        ("my knee pain got worse after a sprain", "orthopedics"),
        ("itchy rash on both arms", "dermatology"),
        ("blurred vision and dry eyes", "ophthalmology"),
        ("need a dressing change for my wound", "general_surgery"),
        ("creatinine is high and foamy urine", "nephrology"),
        ("migraine with numbness", "neurology"),
        ("ＣＯＵＧＨＩＮＧ　ａｔ　ｎｉｇｈｔ", "respiratory"),  # full-width input
    ],
)
def test_examples_rank_the_expected_department_first(text, expected):
    assert codes(text)[0] == expected


def test_higher_score_ranks_first_and_limit_cuts_the_list():
    # 咳嗽 (respiratory 4) + 胸闷 (respiratory 2, cardiology 3) + 发烧 (internal 3)
    ranked = suggest_departments("咳嗽，胸闷，发烧")
    assert [(s.department_code, s.score) for s in ranked] == [("respiratory", 6), ("cardiology", 3), ("internal", 3)]
    assert codes("咳嗽，胸闷，发烧", limit=2) == ["respiratory", "cardiology"]


def test_a_child_cue_puts_paediatrics_first_and_keeps_the_specialty():
    assert codes("孩子咳嗽三天了") == ["pediatrics", "respiratory"]
    assert codes("my baby has a rash") == ["pediatrics", "dermatology"]


def test_longest_match_wins_over_the_terms_it_contains():
    [neurology] = suggest_departments("偏头痛好几年了")
    assert (neurology.matched, neurology.score) == (("偏头痛",), 5)  # not 头痛 as well
    [respiratory] = suggest_departments("coughing up blood")
    assert respiratory.matched == ("coughing up blood",)


def test_mixed_chinese_and_english_in_one_text():
    [endocrine, *_] = suggest_departments("血糖高, diabetes 五年, 最近thirsty")
    assert endocrine.department_code == "endocrine"
    assert endocrine.matched[:2] == ("血糖高", "diabetes")


def test_english_terms_match_whole_words_with_simple_endings():
    assert codes("last year the pearl earring broke") == []  # no "ear" inside other words
    assert codes("two ears hurt")[0] == "ent"
    assert codes("she keeps coughing")[0] == "respiratory"


def test_a_term_repeated_counts_once():
    [respiratory] = suggest_departments("咳嗽咳嗽咳嗽")
    assert (respiratory.matched, respiratory.score) == (("咳嗽",), 4)


def test_negated_terms_are_ignored():
    assert codes("没有胸痛，只是咳嗽") == ["respiratory"]
    assert codes("no fever but a cough") == ["respiratory"]


@pytest.mark.parametrize("text", ["", "   ", "？？？！！", "asdf qwerty", "12345", "今天天气很好"])
def test_empty_or_meaningless_text_gives_no_suggestions(text):
    result = guide(text)
    assert (result.suggestions, result.emergency) == ((), False)


def test_names_can_come_from_a_lookup():
    [first] = suggest_departments("哮喘", limit=1, names={"respiratory": "呼吸与危重症医学科"}.__getitem__)
    assert first.reason == "哮喘 → 呼吸与危重症医学科"


# ---------------------------------------------------------------------------------------------- emergency


RED_FLAG_PHRASINGS = {
    "chest pain": ["剧烈胸痛半小时", "胸痛", "胸口疼得厉害", "心口痛", "chest pain at rest", "I have pain in my chest"],
    "breathing": ["突然呼吸困难", "喘不上来气", "上不来气", "透不过气", "I can't breathe", "trouble breathing"],
    "breathing, hard": ["hard to breathe since this morning", "gasping for air"],
    "stroke": ["嘴歪了", "口眼歪斜", "一侧肢体无力", "突然说不出话", "face drooping", "I think I'm having a stroke"],
    "stroke, one side": ["weakness on one side", "numbness on one side of my body", "sudden slurred speech"],
    "bleeding": ["产后大出血", "流血不止", "伤口血止不住", "heavy bleeding", "bleeding that won't stop"],
    "suicidal": ["想自杀", "我不想活了", "想死", "活着没意思", "suicidal thoughts", "I want to die", "hurt myself"],
    "consciousness": ["爸爸昏迷了", "晕过去了", "he collapsed", "lost consciousness"],
    "seizure": ["孩子高烧抽搐", "fever and a seizure"],
}


@pytest.mark.parametrize("text", [text for phrasings in RED_FLAG_PHRASINGS.values() for text in phrasings])
def test_red_flags_send_the_patient_to_the_emergency_department(text):
    assert guide(text).emergency is True


def test_emergency_still_ranks_departments_and_names_the_flags():
    result = guide("胸痛伴大汗")
    assert result.emergency is True
    assert result.red_flags == ("胸痛",)
    assert result.suggestions[0].department_code == "cardiology"


@pytest.mark.parametrize(
    "text",
    ["出汗多", "没有呼吸困难", "偶尔胸闷，无胸痛，出汗多", "no chest pain, just a cough", "中风后遗症复诊", "高烧三天"],
)
def test_no_red_flag_without_all_of_its_terms(text):
    assert guide(text).emergency is False


def test_a_description_longer_than_the_limit_is_refused_with_a_coded_explanation():
    longest = ("咳嗽，" * MAX_TEXT_LENGTH)[:MAX_TEXT_LENGTH]
    assert guide(longest).suggestions[0].department_code == "respiratory"
    with pytest.raises(DomainError) as refused:
        guide(longest + "。")
    assert refused.value.code == "guidance.text_too_long"
    assert str(MAX_TEXT_LENGTH) in refused.value.fields["text"]


# ---------------------------------------------------------------------------------------- rules as data


def test_shipped_rules_cover_every_department_with_enough_terms():
    rules = load_rules()
    assert {rule.code for rule in rules.departments} == BRIEFED_CODES
    shipped = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for entry in shipped["departments"]:
        assert len(entry["zh"]) >= 8 and len(entry["en"]) >= 8, entry["code"]


def test_rules_are_loaded_once():
    assert load_rules() is load_rules(DEFAULT_RULES_PATH)


def test_ties_go_to_the_department_listed_first(tmp_path):
    rules = load_rules(write_rules(tmp_path, [department("tcm", "调理"), department("internal", "调理")]))
    assert codes("调理", rules=rules) == ["tcm", "internal"]
    rules = load_rules(
        write_rules(tmp_path, [department("internal", "调理"), department("tcm", "调理")], name="b.json")
    )
    assert codes("调理", rules=rules) == ["internal", "tcm"]


def test_a_longer_term_hides_a_heavier_substring(tmp_path):
    rules = load_rules(
        write_rules(tmp_path, [department("cardiology", "胸痛"), department("internal", "痛", weight=9)])
    )
    assert codes("胸痛", rules=rules) == ["cardiology"]
    assert codes("腿痛", rules=rules) == ["internal"]


def test_red_flags_come_from_the_rules_file(tmp_path):
    path = write_rules(tmp_path, [department("internal", "发烧")], red_flags=[["高烧", "抽搐"]])
    rules = load_rules(path)
    assert guide("高烧，抽搐", rules=rules).emergency is True
    assert guide("高烧", rules=rules).emergency is False


@pytest.mark.parametrize(
    ("departments", "extra", "problem"),
    [
        ([department("cardio", "胸痛")], {}, "unknown department code 'cardio'"),
        ([department("cardiology", "胸痛", "  ")], {}, "empty term"),
        ([department("cardiology", "胸痛", "！")], {}, "empty term"),
        ([{**department("cardiology"), "zh": {}}], {}, "zh must be a non-empty object"),
        ([department("cardiology", "胸痛", weight=0)], {}, "weight of '胸痛'"),
        ([department("cardiology", "胸痛"), department("cardiology", "心悸")], {}, "listed twice"),
        ([department("cardiology", "胸痛", en={"Chest pain": 1, "chest  pain": 2})], {}, "listed twice"),
        ([{**department("cardiology", "胸痛"), "colour": "red"}], {}, "unknown keys ['colour']"),
        ([], {}, "departments must be a non-empty list"),
        ([department("cardiology", "胸痛")], {"red_flags": [[]]}, "red_flags[0]"),
        ([department("cardiology", "胸痛")], {"red_flags": [[""]]}, "empty term"),
        ([department("cardiology", "胸痛")], {"negations": {"zh": [""]}}, "empty term"),
        ([department("cardiology", "胸痛")], {"redflags": []}, "unknown keys ['redflags']"),
    ],
)
def test_a_bad_rules_file_is_refused_at_load(tmp_path, departments, extra, problem):
    path = write_rules(tmp_path, departments, **extra)
    with pytest.raises(ValueError, match=re.escape(problem)):
        load_rules(path)


def test_duplicate_keys_and_broken_json_are_refused(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"departments": [], "departments": [], "red_flags": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate keys"):
        load_rules(path)
    path = tmp_path / "broken.json"
    path.write_text('{"departments": [', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_rules(path)


def test_rules_may_only_name_the_codes_the_caller_knows(tmp_path):
    path = write_rules(tmp_path, [department("cardiology", "胸痛")])
    with pytest.raises(ValueError, match="unknown department code"):
        load_rules(path, known_codes={"internal"})


# ----------------------------------------------------------------------------------------------- database


def staffed(code: str, name_zh: str, *, is_online: bool = True, doctor_active: bool = True) -> Department:
    row = Department.objects.create(code=code, name_zh=name_zh, name_en=code.title(), is_online=is_online)
    doctor = make_user(f"dr_{code}", "doctor", is_active=doctor_active)
    DoctorProfile.objects.create(user=doctor).departments.add(row)
    return row


def test_suggestions_map_to_online_department_rows_in_rank_order(db):
    staffed("respiratory", "呼吸内科")
    staffed("cardiology", "心血管内科")
    staffed("internal", "内科", is_online=False)
    suggestions = suggest_departments("咳嗽，胸闷，发烧")
    paired = departments_for(suggestions)
    assert [(s.department_code, row.code) for s, row in paired] == [
        ("respiratory", "respiratory"),
        ("cardiology", "cardiology"),
    ]


def test_patients_are_only_suggested_departments_they_can_open(db):
    """Online, with an active doctor: a suggestion always leads to someone to book. The next best ones
    fill the places of those left out."""
    staffed("internal", "内科")
    staffed("respiratory", "呼吸内科", is_online=False)
    staffed("cardiology", "心血管内科", doctor_active=False)
    Department.objects.create(code="gastro", name_zh="消化内科", name_en="Gastroenterology")  # nobody works there
    result, paired = guide_for_patients("咳嗽，胸闷，胃痛，发烧")
    assert [row.code for _, row in paired] == ["internal"]
    assert [s.department_code for s in result.suggestions] == ["internal"]
    assert paired[0][0].reason.endswith("→ 内科")


def test_a_red_flag_is_reported_even_when_no_department_can_be_suggested(db):
    result, paired = guide_for_patients("胸口痛，出冷汗")
    assert result.emergency is True and paired == []
