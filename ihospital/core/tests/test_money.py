import pytest
from hypothesis import given
from hypothesis import strategies as st

from ihospital.core.money import MoneyFormatError, format_fen, parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"), [("12.5", 1250), ("0.01", 1), ("¥1,234.56", 123456), ("100", 10000), (" 3.00 ", 300)]
)
def test_parse_yuan_reads_what_people_type(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["-1", "1.234", "abc", "", "NaN", "Infinity"])
def test_parse_yuan_refuses_negative_fractional_fen_and_garbage(text):
    with pytest.raises(MoneyFormatError):
        parse_yuan(text)


def test_format_fen_groups_thousands_and_keeps_two_decimals():
    assert format_fen(123456789) == "¥1,234,567.89"
    assert format_fen(5) == "¥0.05"
    assert format_fen(-250) == "-¥2.50"
    assert format_fen(100, symbol=False) == "1.00"


def test_format_fen_refuses_floats():
    with pytest.raises(TypeError):
        format_fen(1.5)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_fen(fen)) == fen
