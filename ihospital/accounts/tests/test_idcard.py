from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ihospital.accounts import idcard

# 11010519491231002X is the standard's own example; the others are computed with its MOD 11-2 rule.
VALID = ["11010519491231002X", "110105194912310011", "440524198001010013"]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_accepted(number):
    assert idcard.parse(number).number == number


def test_birth_date_and_sex_are_derived():
    resident = idcard.parse("11010519491231002X")
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.sex == "female"  # 17th digit 2 is even
    assert idcard.parse("110105194912310011").sex == "male"


def test_lowercase_x_and_spaces_are_normalised():
    assert idcard.parse(" 11010519491231002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310022", "check digit"),
        ("440524188001010014", "out of range"),  # born 1880: a valid checksum, not a living person
        ("1101051949123100", "17 digits"),
        ("11010519491331002X", "birth date"),  # month 13
        ("110105190002290021", "birth date"),  # 1900 was not a leap year
        ("991051194912310021", "region"),
        ("11010519491231002Y", "17 digits"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(number, reason):
    with pytest.raises(idcard.InvalidIdNumber, match=reason):
        idcard.parse(number)


def test_future_birth_date_is_refused():
    first17 = "11010520990101001"
    with pytest.raises(idcard.InvalidIdNumber, match="out of range"):
        idcard.parse(first17 + idcard.check_character(first17), today=date(2026, 1, 1))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=9),
)
def test_exactly_one_check_character_is_valid_for_any_number(birth, sequence, wrong_digit):
    first17 = f"320505{birth:%Y%m%d}{sequence:03d}"
    right = idcard.check_character(first17)
    assert idcard.parse(first17 + right).birth_date == birth
    wrong = str(wrong_digit) if str(wrong_digit) != right else "X" if right != "X" else "0"
    with pytest.raises(idcard.InvalidIdNumber):
        idcard.parse(first17 + wrong)


def test_mask_hides_the_birth_date():
    assert idcard.mask("11010519491231002X") == "110105********002X"


def test_age_counts_birthdays():
    assert idcard.age_on(date(2020, 6, 15), date(2026, 6, 14)) == 5
    assert idcard.age_on(date(2020, 6, 15), date(2026, 6, 15)) == 6
