"""What a rule check reads: the draft's items, the visit person's facts and the record's diagnoses.

Frozen dataclasses, filled by the caller (the prescriptions app) from its models and from the HIS
catalogue (``integrations.his.base.Drug``, passed separately by drug code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Sex = Literal["male", "female"]


@dataclass(frozen=True)
class Item:
    drug_code: str  # the HIS catalogue code (药品编码)
    dose: Decimal | float | int  # per administration
    dose_unit: str  # mg, g, μg, 单位, 片, 粒, 袋, ml, 吸, 滴, 次 …
    frequency: str  # qd, bid, tid, qid, qn, q8h, q12h, prn … (doses.json)
    route: str  # po, sl, inh, nasal, eye, topical, sc … (doses.json)
    days: int
    quantity: int | None = None  # packages; None: worked out from dose × frequency × days
    generic_name: str = ""  # as the doctor saw it; the checks use the catalogue's


@dataclass(frozen=True)
class Patient:
    birth_date: date
    sex: Sex
    weight_kg: Decimal | float | None = None
    pregnant: bool = False
    lactating: bool = False
    allergy_drugs: tuple[str, ...] = ()  # ingredient or product names or codes (阿莫西林, 阿莫西林胶囊, amoxicillin)
    allergy_classes: tuple[str, ...] = ()  # class names or codes (青霉素类, 磺胺, nsaids)
    chronic_conditions: tuple[str, ...] = ()  # ICD-10 codes of the patient's chronic diseases (慢病)
    long_term_eligible: bool = False  # a stable chronic patient who may get a 长期处方
    guardian_present: bool = False  # recorded at the consultation


@dataclass(frozen=True)
class Draft:
    items: tuple[Item, ...]
    patient: Patient
    diagnoses: tuple[str, ...]  # ICD-10 codes of the consultation's signed record
