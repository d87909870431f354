import re

import pytest

from ihospital.records import icd


def test_the_who_list_is_complete_and_chapters_or_blocks_are_not_diagnoses():
    assert len(icd.catalogue()) > 12_000
    assert icd.lookup("j069").code == "J06.9"
    assert icd.lookup("J06.9").name_en == "Acute upper respiratory infection, unspecified"
    for not_a_diagnosis in ("A00-A09", "I", "J06.99", "X99.99", "头痛", "", "J06.9; DROP"):
        assert icd.lookup(not_a_diagnosis) is None


def test_at_least_500_common_diagnoses_have_chinese_names_and_valid_codes():
    names = icd.chinese_names()
    assert len(names) >= 500
    assert len(set(names.values())) == len(names)  # no two codes share a name
    for code, name in names.items():
        assert icd.normalise(code) == code, code
        assert re.search(r"[\u4e00-\u9fff]", name), code
    assert names["I10"] == "原发性高血压" and names["E11.9"] == "2型糖尿病"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("J06.9", "J06.9"),  # code
        ("j06", "J06.9"),  # code prefix, any case, no dot
        ("高血压", "I10"),  # Chinese name
        ("gxy", "I10"),  # pinyin initials of 高血压
        ("jxshxdgr", "J06.9"),  # 急性上呼吸道感染
        ("hypertension", "I10"),  # English name
    ],
)
def test_search_by_code_chinese_name_pinyin_initials_or_english_name(query, expected):
    assert expected in [d.code for d in icd.search(query, limit=50)]


def test_search_puts_the_exact_code_and_common_diagnoses_first():
    assert icd.search("I10")[0].code == "I10"
    first = icd.search("pneumonia", limit=5)
    assert first[0].name_zh  # a common one with its Chinese name before the rest of the WHO list
    assert icd.search("") == [] and icd.search("zzzzqqq") == []


def test_codes_are_dotted_as_the_who_package_dots_them():
    who = icd._who()
    codes = [code for code in who.get_all_codes(False) if who.is_category_or_subcategory(code)]
    assert {icd._dotted(code) for code in codes} == {
        code for code in who.get_all_codes(True) if who.is_category_or_subcategory(code)
    }
    assert icd._dotted("J069") == who.add_dot("J069") == "J06.9" and icd._dotted("Z99") == "Z99"
