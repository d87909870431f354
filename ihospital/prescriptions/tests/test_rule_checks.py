"""Every rule family with passing and failing cases: one table, one test.

Each case is a draft (items, the visit person, the record's diagnoses), the findings (rule, severity) that
must be among the results and the rules that must not be. The default patient is a 40-year-old man without
allergies whose record says I10 (hypertension).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ihospital.prescriptions.tests.helpers import catalogue, check, drug, item, patient

AMLODIPINE = ("苯磺酸氨氯地平片", "5mg", 5, "mg")


def amlodipine(**kw):
    generic, strength, dose, unit = AMLODIPINE
    return item(generic, strength, kw.pop("dose", dose), kw.pop("unit", unit), **kw)


# (id, items, patient, diagnoses, expected (rule, severity) present, rules absent)
CASES = [
    # --- online-forbidden drugs
    (
        "controlled class is blocked",
        [item("艾司唑仑片", dose=1, unit="mg", frequency="qn")],
        None,
        ["F51"],
        {("online/controlled", "block")},
        set(),
    ),
    (
        "special-use antibiotic is blocked",
        [item("利奈唑胺片", dose=600, unit="mg", frequency="bid")],
        None,
        ["J18.9"],
        {("online/special_use_antibiotic", "block")},
        set(),
    ),
    (
        "a restricted-grade antibiotic may be prescribed",
        [item("左氧氟沙星片", dose=500, unit="mg")],
        None,
        ["J18.9"],
        set(),
        {"online/controlled", "online/special_use_antibiotic"},
    ),
    ("an ordinary drug is not controlled", [amlodipine()], None, ["I10"], set(), {"online/controlled"}),
    # --- counts and days
    (
        "six drugs are too many",
        [
            amlodipine(),
            item("厄贝沙坦片", "150mg", 150, "mg"),
            item("阿司匹林肠溶片", dose=100, unit="mg"),
            item("阿托伐他汀钙片", "20mg", 20, "mg"),
            item("盐酸二甲双胍片", "0.5g", 500, "mg", "bid"),
            item("左甲状腺素钠片", "50μg", 50, "μg"),
        ],
        None,
        ["I10", "I25.1", "E11.9", "E03.9"],
        {("supply/too_many_items", "block")},
        set(),
    ),
    (
        "five drugs are allowed",
        [
            amlodipine(),
            item("厄贝沙坦片", "150mg", 150, "mg"),
            item("阿司匹林肠溶片", dose=100, unit="mg"),
            item("阿托伐他汀钙片", "20mg", 20, "mg"),
            item("盐酸二甲双胍片", "0.5g", 500, "mg", "bid"),
        ],
        None,
        ["I10", "I25.1", "E11.9"],
        set(),
        {"supply/too_many_items"},
    ),
    ("eight days of an ordinary prescription", [amlodipine(days=8)], None, ["I10"], {("supply/days", "block")}, set()),
    ("seven days of an ordinary prescription", [amlodipine(days=7)], None, ["I10"], set(), {"supply/days"}),
    (
        "four weeks for the chronic condition the drug treats",
        [amlodipine(days=28)],
        patient(chronic_conditions=("I10",)),
        ["I10"],
        set(),
        {"supply/days", "supply/days_chronic"},
    ),
    (
        "more than four weeks for a chronic condition",
        [amlodipine(days=29)],
        patient(chronic_conditions=("I10",)),
        ["I10"],
        {("supply/days_chronic", "block")},
        set(),
    ),
    (
        "a chronic condition the drug does not treat gives no longer supply",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid", days=14)],
        patient(chronic_conditions=("I10",)),
        ["J02.9"],
        {("supply/days", "block")},
        set(),
    ),
    (
        "twelve weeks of a long-term prescription",
        [amlodipine(days=84)],
        patient(chronic_conditions=("I10",), long_term_eligible=True),
        ["I10"],
        set(),
        {"supply/days_long_term"},
    ),
    (
        "more than twelve weeks of a long-term prescription",
        [amlodipine(days=85)],
        patient(chronic_conditions=("I10",), long_term_eligible=True),
        ["I10"],
        {("supply/days_long_term", "block")},
        set(),
    ),
    (
        "more packages than the days need",
        [amlodipine(quantity=3)],
        None,
        ["I10"],
        {("supply/quantity_above_need", "warn")},
        set(),
    ),
    (
        "one package more than needed is tolerated",
        [amlodipine(quantity=2)],
        None,
        ["I10"],
        set(),
        {"supply/quantity_above_need", "supply/quantity_below_need"},
    ),
    (
        "fewer packages than the days need",
        [item("克拉霉素片", dose=500, unit="mg", frequency="bid", quantity=2)],
        None,
        ["J02.9"],
        {("supply/quantity_below_need", "info")},
        set(),
    ),
    # --- doses
    (
        "a single dose above the adult maximum",
        [item("阿莫西林胶囊", "0.5g", 1500, "mg", "bid")],
        None,
        ["J02.9"],
        {("doses/per_dose_above_max", "warn")},
        set(),
    ),
    (
        "a usual adult dose",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid")],
        None,
        ["J02.9"],
        set(),
        {"doses/per_dose_above_max", "doses/per_day_above_max", "doses/per_dose_below_min"},
    ),
    (
        "a single dose above twice the maximum is blocked",
        [amlodipine(dose=25)],
        None,
        ["I10"],
        {("doses/per_dose_far_above_max", "block")},
        set(),
    ),
    (
        "a daily dose above the maximum",
        [item("布洛芬缓释胶囊", dose=600, unit="mg", frequency="qid")],
        None,
        ["M17.9"],
        {("doses/per_day_above_max", "warn")},
        {"doses/per_dose_above_max"},
    ),
    (
        "a single dose below the usual minimum",
        [amlodipine(dose=1.25)],
        None,
        ["I10"],
        {("doses/per_dose_below_min", "info")},
        set(),
    ),
    (
        "a weekly dose is judged per dose only",
        [item("阿仑膦酸钠片", dose=70, unit="mg", frequency="qw", days=28)],
        None,
        ["M81.0"],
        set(),
        {"doses/per_day_below_min"},
    ),
    (
        "a child's dose by weight within range",
        [item("布洛芬混悬液", dose=160, unit="mg", frequency="tid", days=3)],
        patient(4, weight_kg=16, guardian_present=True),
        ["J06.9"],
        set(),
        {"doses/per_dose_above_max", "doses/child_unchecked", "doses/child_unsuitable"},
    ),
    (
        "a child's dose by weight above range",
        [item("布洛芬混悬液", dose=300, unit="mg", frequency="tid", days=3)],
        patient(4, weight_kg=16, guardian_present=True),
        ["J06.9"],
        {("doses/per_dose_above_max", "warn")},
        set(),
    ),
    (
        "a child's dose by age band within range",
        [item("孟鲁司特钠咀嚼片", "4mg", 4, "mg", "qn")],
        patient(4, guardian_present=True),
        ["J45.9"],
        set(),
        {"doses/per_dose_above_max", "doses/child_unchecked"},
    ),
    (
        "a child's dose by age band far above range",
        [item("孟鲁司特钠咀嚼片", "5mg", 10, "mg", "qn")],
        patient(4, guardian_present=True),
        ["J45.9"],
        {("doses/per_dose_far_above_max", "block")},
        set(),
    ),
    (
        "a per-kg children's dose needs the weight",
        [item("阿莫西林颗粒", dose=250, unit="mg", frequency="tid")],
        patient(7),
        ["J02.9"],
        {("doses/child_weight_missing", "warn")},
        set(),
    ),
    (
        "a drug not for children, without a children's dose",
        [item("氯雷他定片", dose=10, unit="mg")],
        patient(8),
        ["J30.4"],
        {("doses/child_unsuitable", "warn"), ("doses/child_unchecked", "warn")},
        set(),
    ),
    (
        "a child under six without a guardian",
        [item("蒙脱石散", dose=1, unit="袋", frequency="tid", days=3)],
        patient(3),
        ["A09.9"],
        {("doses/guardian_missing", "block")},
        set(),
    ),
    (
        "a child under six with the guardian present",
        [item("蒙脱石散", dose=1, unit="袋", frequency="tid", days=3)],
        patient(3, guardian_present=True),
        ["A09.9"],
        set(),
        {"doses/guardian_missing"},
    ),
    (
        "a teenager gets the adult range",
        [amlodipine(dose=25)],
        patient(13),
        ["I10"],
        {("doses/per_dose_far_above_max", "block")},
        {"doses/child_unsuitable", "doses/child_unchecked", "doses/guardian_missing"},
    ),
    # --- allergies
    (
        "allergic to the ingredient",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid")],
        patient(allergy_drugs=("阿莫西林",)),
        ["J02.9"],
        {("allergies/same_ingredient", "block")},
        set(),
    ),
    (
        "allergic to a product containing the ingredient",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid")],
        patient(allergy_drugs=("阿莫西林克拉维酸钾片",)),
        ["J02.9"],
        {("allergies/same_ingredient", "block")},
        set(),
    ),
    (
        "allergic to the class",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid")],
        patient(allergy_classes=("青霉素",)),
        ["J02.9"],
        {("allergies/same_group", "block")},
        set(),
    ),
    (
        "penicillin allergy and a cephalosporin",
        [item("头孢克洛胶囊", dose=250, unit="mg", frequency="tid")],
        patient(allergy_classes=("青霉素",)),
        ["J02.9"],
        {("allergies/cross/penicillins+cephalosporins", "warn")},
        set(),
    ),
    (
        "aspirin allergy and another NSAID",
        [item("布洛芬缓释胶囊", dose=300, unit="mg", frequency="bid")],
        patient(allergy_drugs=("阿司匹林",)),
        ["M17.9"],
        {("allergies/cross/salicylates+nsaids", "warn")},
        set(),
    ),
    (
        "sulfonamide allergy and celecoxib",
        [item("塞来昔布胶囊", dose=200, unit="mg")],
        patient(allergy_classes=("磺胺",)),
        ["M17.9"],
        {("allergies/same_group", "block")},
        set(),
    ),
    (
        "sulfonamide allergy and a thiazide",
        [item("氢氯噻嗪片", dose=25, unit="mg")],
        patient(allergy_classes=("磺胺",)),
        ["I10"],
        {("allergies/cross/sulfonamides+sulfonamide_non_antibiotics", "info")},
        set(),
    ),
    (
        "an allergy the rules do not know",
        [amlodipine()],
        patient(allergy_drugs=("海鲜",)),
        ["I10"],
        {("allergies/unrecognised", "info")},
        set(),
    ),
    (
        "penicillin allergy and a macrolide",
        [item("阿奇霉素片", dose=500, unit="mg")],
        patient(allergy_classes=("青霉素",)),
        ["J02.9"],
        set(),
        {"allergies/same_group", "allergies/same_ingredient", "allergies/unrecognised"},
    ),
    # --- duplicate therapy
    (
        "the same ingredient twice",
        [item("盐酸二甲双胍片", "0.5g", 500, "mg", "bid"), item("盐酸二甲双胍缓释片", dose=500, unit="mg")],
        None,
        ["E11.9"],
        {("duplicates/same_ingredient", "warn")},
        set(),
    ),
    (
        "two statins",
        [item("阿托伐他汀钙片", "20mg", 20, "mg"), item("瑞舒伐他汀钙片", "10mg", 10, "mg")],
        None,
        ["E78.5"],
        {("duplicates/same_class/statins", "warn")},
        set(),
    ),
    (
        "the same ingredient by two routes is not a duplicate",
        [
            item("糠酸莫米松鼻喷雾剂", dose=2, unit="揿", route="nasal", quantity=1),
            item("糠酸莫米松乳膏", dose=1, unit="次", route="topical", quantity=1),
        ],
        None,
        ["J30.4", "L20.9"],
        set(),
        {"duplicates/same_ingredient"},
    ),
    (
        "two drugs of different classes",
        [amlodipine(), item("厄贝沙坦片", "150mg", 150, "mg")],
        None,
        ["I10"],
        set(),
        {"duplicates/same_ingredient", "duplicates/same_class/dhp_ccbs"},
    ),
    # --- interactions
    (
        "a contraindicated pair",
        [
            item("克拉霉素片", dose=500, unit="mg", frequency="bid"),
            item("辛伐他汀片", dose=20, unit="mg", frequency="qn"),
        ],
        None,
        ["J02.9", "E78.5"],
        {("interactions/simvastatin+clarithromycin", "block")},
        set(),
    ),
    (
        "a pair to avoid",
        [item("华法林钠片", "2.5mg", 2.5, "mg"), item("布洛芬缓释胶囊", dose=300, unit="mg", frequency="bid")],
        None,
        ["I48", "M17.9"],
        {("interactions/warfarin+nsaids", "warn")},
        set(),
    ),
    (
        "a pair to space out",
        [item("左甲状腺素钠片", "50μg", 50, "μg"), item("碳酸钙D3片", dose=1, unit="片")],
        None,
        ["E03.9", "M81.0"],
        {("interactions/levothyroxine+calcium_salts", "info")},
        set(),
    ),
    (
        "the specific pair replaces its class pair",
        [item("华法林钠片", "2.5mg", 2.5, "mg"), item("银杏叶片", dose=19.2, unit="mg", frequency="tid")],
        None,
        ["I48", "I63"],
        {("interactions/warfarin+ginkgo", "warn")},
        {"interactions/warfarin+tcm_blood_activating"},
    ),
    (
        "a more severe class pair stays",
        [item("多潘立酮片", dose=10, unit="mg", frequency="tid"), item("草酸艾司西酞普兰片", dose=10, unit="mg")],
        None,
        ["K30", "F32.9"],
        {("interactions/domperidone+qt_prolonging", "block"), ("interactions/escitalopram+qt_prolonging", "block")},
        {"interactions/qt_prolonging+qt_prolonging"},
    ),
    (
        "eye drops count for a pair of any route",
        [
            item("噻吗洛尔滴眼液", dose=1, unit="滴", frequency="bid", route="eye"),
            item("酒石酸美托洛尔片", "25mg", 25, "mg", "bid"),
        ],
        None,
        ["H40.1", "I10"],
        {("interactions/timolol+beta_blockers", "warn")},
        set(),
    ),
    (
        "a gel does not count for a systemic pair",
        [
            item("华法林钠片", "2.5mg", 2.5, "mg"),
            item("双氯芬酸二乙胺乳胶剂", dose=1, unit="次", frequency="tid", route="topical", quantity=1),
        ],
        None,
        ["I48", "M17.9"],
        set(),
        {"interactions/warfarin+nsaids"},
    ),
    (
        "MAO inhibition and an SSRI",
        [item("利奈唑胺片", dose=600, unit="mg", frequency="bid"), item("盐酸舍曲林片", dose=50, unit="mg")],
        None,
        ["J18.9", "F32.9"],
        {("interactions/maois+ssris", "block")},
        set(),
    ),
    (
        "two drugs that do not interact",
        [amlodipine(), item("阿托伐他汀钙片", "20mg", 20, "mg")],
        None,
        ["I10", "E78.5"],
        set(),
        {"interactions/"},
    ),
    (
        "an adsorbent lowers acarbose, rehydration salts do not",
        [item("阿卡波糖片", "50mg", 50, "mg", "tid"), item("蒙脱石散", dose=3, unit="g", frequency="tid", days=3)],
        None,
        ["E11.9", "A09.9"],
        {("interactions/acarbose+smectite", "info")},
        set(),
    ),
    (
        "rehydration salts with acarbose",
        [
            item("阿卡波糖片", "50mg", 50, "mg", "tid"),
            item("口服补液盐散(Ⅲ)", dose=1, unit="袋", frequency="tid", days=3),
        ],
        None,
        ["E11.9", "A09.9"],
        set(),
        {"interactions/"},
    ),
    # --- pregnancy and breastfeeding
    (
        "a statin in pregnancy",
        [item("阿托伐他汀钙片", "20mg", 20, "mg")],
        patient(30, sex="female", pregnant=True),
        ["E78.5"],
        {("pregnancy/pregnancy/statins", "block")},
        set(),
    ),
    (
        "a statin without pregnancy",
        [item("阿托伐他汀钙片", "20mg", 20, "mg")],
        patient(30, sex="female"),
        ["E78.5"],
        set(),
        {"pregnancy/"},
    ),
    (
        "metronidazole while breastfeeding",
        [item("甲硝唑片", dose=400, unit="mg", frequency="tid")],
        patient(30, sex="female", lactating=True),
        ["N76.0"],
        {("pregnancy/lactation/metronidazole", "warn")},
        set(),
    ),
    (
        "a product's own caution replaces its classes'",
        [item("麝香保心丸", dose=2, unit="丸", frequency="tid")],
        patient(30, sex="female", pregnant=True),
        ["I20.9"],
        {("pregnancy/pregnancy/shexiang_baoxin", "block")},
        {"pregnancy/pregnancy/tcm_musk", "pregnancy/pregnancy/tcm_blood_activating"},
    ),
    (
        "quinolone eye drops in pregnancy",
        [item("左氧氟沙星滴眼液", dose=1, unit="滴", frequency="qid", route="eye")],
        patient(30, sex="female", pregnant=True),
        ["H10.0"],
        set(),
        {"pregnancy/"},
    ),
    (
        "quinolone tablets in pregnancy",
        [item("左氧氟沙星片", dose=500, unit="mg")],
        patient(30, sex="female", pregnant=True),
        ["J18.9"],
        {("pregnancy/pregnancy/fluoroquinolones", "warn")},
        set(),
    ),
    # --- indications
    (
        "an antibiotic for a common cold",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid")],
        None,
        ["J06.9"],
        {("indications/missing", "warn")},
        set(),
    ),
    (
        "an antibiotic for tonsillitis",
        [item("阿莫西林胶囊", "0.5g", 500, "mg", "tid")],
        None,
        ["J03.9"],
        set(),
        {"indications/missing"},
    ),
    ("a record without a diagnosis", [amlodipine()], None, [], {("indications/missing", "warn")}, set()),
]


@pytest.mark.parametrize(
    ("items", "who", "diagnoses", "expected", "absent"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_rule(items, who, diagnoses, expected, absent):
    result = check(items, who=who, diagnoses=diagnoses)
    found = {(f.rule, str(f.severity)) for f in result.findings}
    assert expected <= found, sorted(found)
    assert not [rule for rule, _severity in found for prefix in absent if rule.startswith(prefix)], sorted(found)


def test_every_family_has_a_failing_case():
    families = {rule.split("/")[0] for case in CASES for rule, _severity in case[4]}
    assert families == {
        "online",
        "supply",
        "doses",
        "allergies",
        "duplicates",
        "interactions",
        "pregnancy",
        "indications",
    }


def test_a_controlled_ingredient_is_blocked_even_when_the_his_flag_is_missing():
    unflagged = replace(drug("曲马多缓释片"), controlled_class="")
    drugs = {**catalogue(), unflagged.code: unflagged}
    result = check([item("曲马多缓释片", dose=100, unit="mg", frequency="bid")], diagnoses=["M54.5"], drugs=drugs)
    assert ("online/controlled", "block") in {(f.rule, str(f.severity)) for f in result.findings}


def test_the_result_says_whether_it_blocks_or_needs_a_reason():
    blocked = check([amlodipine(days=8)])
    assert blocked.blocked
    reasoned = check([amlodipine(quantity=3)])
    assert not reasoned.blocked and reasoned.needs_reason
    clean = check([amlodipine()])
    assert clean.findings == () and not clean.blocked and not clean.needs_reason


def test_findings_come_most_severe_first():
    result = check(
        [item("华法林钠片", "2.5mg", 2.5, "mg"), item("布洛芬缓释胶囊", dose=300, unit="mg", frequency="bid", days=8)],
        diagnoses=["I48"],
    )
    ranks = [{"block": 0, "warn": 1, "info": 2}[f.severity] for f in result.findings]
    assert ranks == sorted(ranks) and ranks[0] == 0
