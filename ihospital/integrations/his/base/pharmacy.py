"""The HIS pharmacy's requests and replies: drug catalogue and stock, pharmacies, dispensing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DrugQuery:
    keyword: str = ""  # in the generic or trade name, or the code
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class Stock:
    pharmacy_code: str
    pharmacy_name: str
    quantity: int


@dataclass(frozen=True)
class Drug:
    code: str
    generic_name: str
    trade_name: str
    form: str  # 剂型
    strength: str  # 规格
    package: str  # 包装
    unit: str
    price_fen: int
    controlled_class: str  # "" or 麻醉/精一/精二/毒性/放射
    antibiotic_grade: int  # 0: not an antibiotic; 1 非限制, 2 限制, 3 特殊使用
    children_ok: bool
    stock: tuple[Stock, ...] = ()


@dataclass(frozen=True)
class DrugCatalogue:
    total: int
    drugs: tuple[Drug, ...] = ()


# --- 药房 / 处方发药 (the pharmacies, and a paid online prescription sent to one) ------------------------
@dataclass(frozen=True)
class PharmacyQuery:
    pickup_only: bool = True  # only those where online patients may pick up their medicine


@dataclass(frozen=True)
class PharmacySite:
    code: str
    name: str
    address: str
    hours: str  # as the pharmacy writes it: "周一至周日 08:00-17:30"
    phone: str
    pickup: bool


@dataclass(frozen=True)
class PharmacyList:
    pharmacies: tuple[PharmacySite, ...] = ()


@dataclass(frozen=True)
class DispenseItem:
    drug_code: str
    quantity: int  # packages


@dataclass(frozen=True)
class DispenseRequest:
    """A paid, pharmacist-approved online prescription transferred to an HIS pharmacy, which reserves the
    stock (decrements it) and answers with its dispensing number (发药单号)."""

    transaction_id: str
    patient_id: str
    prescription_no: str  # our prescription's public id
    pharmacy_code: str
    doctor_code: str
    pharmacist_code: str
    method: str  # "delivery" | "pickup"
    amount_fen: int
    trade_no: str  # the payment's transaction id
    items: tuple[DispenseItem, ...]


@dataclass(frozen=True)
class CancelDispenseRequest:
    """The prescription was voided after it reached the pharmacy: its reserved stock goes back."""

    transaction_id: str
    prescription_no: str
    reason: str


@dataclass(frozen=True)
class DispenseTicket:
    dispense_no: str
    prescription_no: str
    pharmacy_code: str
    transaction_id: str


# --- 检验检查 ----------------------------------------------------------------------------------------
