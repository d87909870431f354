"""Chinese resident identity numbers (居民身份证号码), GB 11643-1999.

18 characters: a 6-digit administrative division code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence whose last digit is odd for men and even for women, and an ISO 7064 MOD 11-2 check character
(0-9 or X).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"
# First two digits: provinces, autonomous regions and municipalities (GB/T 2260), plus Taiwan, Hong
# Kong and Macao residence permits (83, 81, 82).
PROVINCE_CODES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
    "83",
}
PATTERN = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "male" | "female"

    @property
    def masked(self) -> str:
        return mask(self.number)


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def parse(raw: str, *, today: date | None = None) -> ResidentId:
    """Validate and decode; raises InvalidIdNumber with a short English reason."""
    number = normalize(raw)
    if not PATTERN.match(number):
        raise InvalidIdNumber("must be 17 digits followed by a digit or X")
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("unknown region code")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth date does not exist") from None
    today = today or date.today()
    if birth > today or birth.year < 1890:
        raise InvalidIdNumber("birth date out of range")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check digit does not match")
    return ResidentId(number=number, birth_date=birth, sex="male" if int(number[16]) % 2 else "female")


def mask(number: str) -> str:
    """'110105194912310021' → '110105********0021' (what staff screens and logs show)."""
    return f"{number[:6]}********{number[-4:]}" if len(number) == 18 else "*" * len(number)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
