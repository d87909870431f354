"""The HIS drug catalogue as the doctor searches it: by generic or trade name, by code, or by the pinyin
initials of the name (``aldp`` → 苯磺酸氨氯地平片), with the stock of each pharmacy.

The HIS answers a keyword search (``DrugCatalogue``), but neither pinyin nor the whole catalogue in one
call: the catalogue is read page by page and kept in this process for PRESCRIPTION_CATALOGUE_SECONDS
(so a rule check, which needs every drug of the prescription, never waits for the HIS). Stock shown is
at most that old; the pharmacy confirms it when it dispenses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from pypinyin import Style, lazy_pinyin

from ihospital.core.errors import DomainError
from ihospital.integrations import his
from ihospital.integrations.his.base import Drug, DrugQuery
from ihospital.prescriptions.errors import PrescriptionError, PrescriptionRuleError

PAGE = 200  # the most the HIS returns per call


@dataclass(frozen=True)
class Catalogue:
    drugs: dict[str, Drug]  # by code
    loaded_at: float  # time.monotonic()


_lock = threading.Lock()
_held: Catalogue | None = None


def forget() -> None:
    """Drop this process's copy (tests; an administrator after the HIS changed its catalogue)."""
    global _held
    with _lock:
        _held = None


def catalogue() -> dict[str, Drug]:
    """Every drug of the HIS catalogue by code, read at most PRESCRIPTION_CATALOGUE_SECONDS ago.

    Raises ``DomainError(prescription.catalogue_unavailable)`` when it must be read and the HIS does not
    answer (a copy past its age is still used then, rather than none).
    """
    global _held
    held = _held
    if held is not None and time.monotonic() - held.loaded_at < settings.PRESCRIPTION_CATALOGUE_SECONDS:
        return held.drugs
    with _lock:
        if _held is not None and _held is not held:  # another thread just read it
            return _held.drugs
        try:
            drugs = _read_all()
        except his.HisError:
            if held is not None:
                return held.drugs
            raise DomainError(PrescriptionError.CATALOGUE_UNAVAILABLE) from None
        _held = Catalogue(drugs=drugs, loaded_at=time.monotonic())
        return drugs


def _read_all() -> dict[str, Drug]:
    client = his.client()
    drugs: dict[str, Drug] = {}
    offset = 0
    while True:
        page = client.drug_catalogue(DrugQuery(offset=offset, limit=PAGE))
        drugs.update((drug.code, drug) for drug in page.drugs)
        offset += len(page.drugs)
        if not page.drugs or offset >= page.total:
            return drugs


def drug_get(code: str) -> Drug:
    """The catalogue entry of ``code``; ``prescription.unknown_drug`` when the HIS has none."""
    drug = catalogue().get(str(code or "").strip().upper())
    if drug is None:
        raise DomainError(PrescriptionRuleError.UNKNOWN_DRUG, fields={"drug_code": ""}, code=str(code)[:32])
    return drug


def drugs_of(codes: Iterable[str]) -> dict[str, Drug]:
    """The catalogue entries of ``codes`` that exist (a rule check refuses the others with its own code)."""
    drugs = catalogue()
    return {code: drugs[code] for code in codes if code in drugs}


@lru_cache(maxsize=4096)
def initials(name: str) -> str:
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER)
    return "".join(s[0] for s in letters if s and s[0].isascii() and s[0].isalpha()).lower()


def drug_search(query: str, *, limit: int = 15) -> list[Drug]:
    """Drugs whose code starts with ``query``, whose generic or trade name contains it, or whose name's
    pinyin initials contain it (``aldp`` → 苯磺酸氨氯地平片); in stock first, then by name and code."""
    text = (query or "").strip()[:40]
    if not text:
        return []
    upper, lower = text.upper(), text.lower()
    by_initials = lower.isascii() and lower.isalpha()
    found = [
        drug
        for drug in catalogue().values()
        if drug.code.upper().startswith(upper)
        or text in drug.generic_name
        or (drug.trade_name and text in drug.trade_name)
        or (by_initials and (lower in initials(drug.generic_name) or lower in initials(drug.trade_name or "")))
    ]
    found.sort(key=lambda d: (d.code.upper() != upper, stock_total(d) == 0, d.generic_name, d.code))
    return found[:limit]


def stock_total(drug: Drug) -> int:
    return sum(max(0, s.quantity) for s in drug.stock)
