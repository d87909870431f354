"""Personal names as on a resident ID card: Chinese characters, the middle dot of transliterated names
(阿卜杜拉·买买提), Latin letters and single spaces (foreign permanent residents). Nothing else: no digits,
punctuation or markup. Pure: no database.

    clean_person_name("  艾丽斯 ")   → "艾丽斯"
    clean_person_name("<b>x</b>")   → raises InvalidName
"""

from __future__ import annotations

import re
import unicodedata

NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 40

# Dots people type for the middle dot: the full-width and katakana ones, the bullet, the hyphenation point.
_DOT_LOOKALIKES = str.maketrans({"・": "·", "･": "·", "•": "·", "‧": "·", "．": "·", "∙": "·"})
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK unified ideographs (+ extension A, compatibility)
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # ASCII and accented Latin letters
_WORD = f"[{_HAN}{_LATIN}]+"
# Words of letters/characters joined by one middle dot or one space; no dot or space at either end.
_NAME = re.compile(f"{_WORD}(?:[· ]{_WORD})*")


class InvalidName(ValueError):
    pass


def clean_person_name(raw: str) -> str:
    """The name normalised (NFC, trimmed, runs of spaces made one, dot look-alikes made ``·``), or
    InvalidName when it is not a plausible personal name or not NAME_MIN_LENGTH–NAME_MAX_LENGTH long."""
    text = unicodedata.normalize("NFC", raw or "").translate(_DOT_LOOKALIKES)
    text = re.sub(r"\s*·\s*", "·", " ".join(text.split()))
    if not NAME_MIN_LENGTH <= len(text) <= NAME_MAX_LENGTH or not _NAME.fullmatch(text):
        raise InvalidName(text)
    return text
