"""The HIS interface: what the internet hospital may ask of the hospital information system.

The app never reaches the HIS itself: in production its ``soap`` client calls the forwarding gateway
(``gateway/``, in the hospital network), which holds the HIS credentials and forwards only these
operations. Every operation takes one request dataclass and answers one reply dataclass, so the two
clients (``sandbox``: in process, ``soap``: through the gateway) and the gateway's WSDL are all derived
from the table ``OPERATIONS`` below and cannot drift apart.

Writes (``write=True``) carry ``transaction_id`` (the HIS's 交易流水号): the HIS applies each transaction
once and answers a repeat with the first answer, so the outbox may deliver a write as often as it must.
Amounts are integer fen; dates are hospital-local calendar dates; moments are aware UTC datetimes.

Errors: one type, ``HisError``, with a stable ``code`` (the gateway's SOAP faults carry the same codes)
and ``permanent`` when sending the same request again cannot help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, TypeVar

from ihospital.core.outbox import DeliveryError

Sex = Literal["male", "female"]
Period = Literal["morning", "afternoon", "evening"]


# --- 建档: the patient index -------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientQuery:
    """Find the HIS patient with this ID number, or register one (建档) when ``register`` and none exists."""

    id_number: str
    name: str
    sex: str
    birth_date: date
    phone: str = ""
    register: bool = True


@dataclass(frozen=True)
class HisPatient:
    patient_id: str  # 病人ID / 门诊号
    card_no: str  # 就诊卡号
    name: str
    created: bool  # registered by this call


# --- 挂号登记 -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrationRequest:
    transaction_id: str
    patient_id: str
    department_code: str
    doctor_code: str  # 医生工号
    session_date: date
    period: str
    slot_number: int  # 挂号序号
    fee_fen: int
    reference: str  # our booking's public id


@dataclass(frozen=True)
class CancelRegistrationRequest:
    transaction_id: str
    registration_no: str
    reason: str


@dataclass(frozen=True)
class Registration:
    registration_no: str  # 挂号流水号
    patient_id: str
    status: str  # "registered" | "cancelled"
    fee_fen: int


# --- 收费 / 退费 --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChargeRequest:
    transaction_id: str
    patient_id: str
    amount_fen: int
    channel: str  # "wechat", "alipay", "unionpay", "sandbox"
    trade_no: str  # the payment provider's transaction id
    item: str  # what is paid for, as the cashier's item name
    reference: str  # our payment order's public id
    registration_no: str = ""


@dataclass(frozen=True)
class RefundRequest:
    transaction_id: str
    receipt_no: str  # of the charge refunded
    amount_fen: int
    reason: str
    reference: str  # our refund's public id


@dataclass(frozen=True)
class Receipt:
    receipt_no: str  # 收费单号 (a refund has its own, negative on the statement)
    kind: str  # "charge" | "refund"
    amount_fen: int
    transaction_id: str


# --- 病历归档 (filing a signed medical record) ------------------------------------------------------
@dataclass(frozen=True)
class RecordFileRequest:
    """A signed version of an online visit's medical record, filed to the HIS's EMR. An amendment is filed
    as a new version of the same document (``reference``); the HIS keeps every version."""

    transaction_id: str
    patient_id: str
    reference: str  # our record's public id: the document's identity across versions
    version: int
    department_code: str
    doctor_code: str
    visit_date: date
    chief_complaint: str
    diagnoses: tuple[Diagnosis, ...]
    document: str  # the signed canonical JSON
    signature: str  # base64 of the DER signature
    algorithm: str
    certificate_serial: str
    signed_at: datetime


@dataclass(frozen=True)
class RecordFiling:
    filing_no: str  # 病历归档号
    reference: str
    version: int
    transaction_id: str


# --- 门诊就诊记录 ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryQuery:
    patient_id: str
    since: date | None = None


@dataclass(frozen=True)
class Diagnosis:
    code: str  # ICD-10
    name: str


@dataclass(frozen=True)
class PrescribedItem:
    drug_code: str
    drug_name: str
    dose: str
    frequency: str
    days: int
    quantity: int
    unit: str


@dataclass(frozen=True)
class Visit:
    encounter_id: str  # 就诊流水号
    visit_date: date
    department: str
    doctor: str
    kind: str  # "in_person" | "online"
    complaint: str
    diagnoses: tuple[Diagnosis, ...] = ()
    prescriptions: tuple[PrescribedItem, ...] = ()


@dataclass(frozen=True)
class VisitHistory:
    patient_id: str
    visits: tuple[Visit, ...] = ()


# --- 药品目录 / 库存 ---------------------------------------------------------------------------------
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
@dataclass(frozen=True)
class ExamCatalogueQuery:
    kind: str = ""  # "" (both), "lab" (检验, LIS) or "exam" (检查, PACS)


@dataclass(frozen=True)
class ExamItem:
    code: str
    name: str
    kind: str
    price_fen: int
    specimen: str  # a lab test's specimen, an exam's modality
    department: str
    # The patient's guide (检查须知), shown with the order: what to do before, where, when.
    preparation: str = ""
    place: str = ""
    hours: str = ""


@dataclass(frozen=True)
class ExamCatalogue:
    items: tuple[ExamItem, ...] = ()


@dataclass(frozen=True)
class ExamOrderRequest:
    transaction_id: str
    patient_id: str
    doctor_code: str
    item_codes: tuple[str, ...]
    clinical_note: str
    reference: str


@dataclass(frozen=True)
class ExamOrderQuery:
    request_no: str


@dataclass(frozen=True)
class ExamOrder:
    request_no: str  # 申请单号
    patient_id: str
    status: str  # "placed" | "collected" | "reported" | "cancelled"
    item_codes: tuple[str, ...]
    amount_fen: int


@dataclass(frozen=True)
class ResultItem:
    """One value of a lab report as the LIS gives it: the flag is the LIS's own judgement against its
    reference range (``N``, ``H`` above, ``L`` below) and its critical limits (``HH``/``LL``: 危急值)."""

    code: str
    name: str
    value: str
    unit: str
    reference_range: str  # "3.5-9.5", "<5.2", ">1.04" as printed on the report
    flag: str  # "N", "H", "L", "HH", "LL"


@dataclass(frozen=True)
class LabReport:
    request_no: str
    report_no: str  # 报告单号
    reported_at: datetime
    items: tuple[ResultItem, ...] = ()
    patient_id: str = ""
    title: str = ""  # the tests' names, as printed on the report
    specimen: str = ""
    origin: str = "online"  # "online": ordered by the internet hospital; "in_person": at the hospital
    reporting_physician: str = ""  # 检验者
    reviewing_physician: str = ""  # 审核者


@dataclass(frozen=True)
class KeyImageRef:
    """A key image the radiologist marked on the report, fetched on its own (ExamImage) as a DICOM file."""

    image_uid: str  # the DICOM SOP Instance UID
    description: str = ""


@dataclass(frozen=True)
class ExamReport:
    request_no: str
    report_no: str
    reported_at: datetime
    modality: str
    findings: str
    impression: str
    patient_id: str = ""
    title: str = ""
    origin: str = "online"
    reporting_physician: str = ""  # 报告医生
    reviewing_physician: str = ""  # 审核医生
    critical: bool = False  # the radiologist reported a critical finding (危急值)
    key_images: tuple[KeyImageRef, ...] = ()


# --- 报告列表 / 影像调阅 -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientReportsQuery:
    """Every report of the patient the LIS and PACS hold (in-person visits included), newest first."""

    patient_id: str
    since: date | None = None


@dataclass(frozen=True)
class ReportSummary:
    request_no: str
    report_no: str
    kind: str  # "lab" | "exam"
    title: str
    reported_at: datetime
    origin: str  # "online" | "in_person"


@dataclass(frozen=True)
class PatientReports:
    patient_id: str
    reports: tuple[ReportSummary, ...] = ()


@dataclass(frozen=True)
class ExamImageQuery:
    report_no: str
    image_uid: str


@dataclass(frozen=True)
class ExamImage:
    """One DICOM file (Part 10, with its preamble), base64 in ``content_base64`` (WADO-style retrieval)."""

    image_uid: str
    content_base64: str
    size: int


# --- 对账单 ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementQuery:
    day: date
    channel: str = ""  # "" for every channel


@dataclass(frozen=True)
class StatementLine:
    receipt_no: str
    transaction_id: str
    kind: str  # "charge" | "refund"
    amount_fen: int
    channel: str
    trade_no: str
    reference: str
    at: datetime


@dataclass(frozen=True)
class Statement:
    day: date
    total_charged_fen: int
    total_refunded_fen: int
    lines: tuple[StatementLine, ...] = field(default=())


@dataclass(frozen=True)
class Operation:
    name: str  # the SOAP operation's name
    request: type
    reply: type
    write: bool = False


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("FindOrRegisterPatient", PatientQuery, HisPatient, write=True),
        Operation("RegisterVisit", RegistrationRequest, Registration, write=True),
        Operation("CancelRegistration", CancelRegistrationRequest, Registration, write=True),
        Operation("Charge", ChargeRequest, Receipt, write=True),
        Operation("Refund", RefundRequest, Receipt, write=True),
        Operation("FileRecord", RecordFileRequest, RecordFiling, write=True),
        Operation("VisitHistory", HistoryQuery, VisitHistory),
        Operation("DrugCatalogue", DrugQuery, DrugCatalogue),
        Operation("Pharmacies", PharmacyQuery, PharmacyList),
        Operation("Dispense", DispenseRequest, DispenseTicket, write=True),
        Operation("CancelDispense", CancelDispenseRequest, DispenseTicket, write=True),
        Operation("ExamCatalogue", ExamCatalogueQuery, ExamCatalogue),
        Operation("PlaceExamOrder", ExamOrderRequest, ExamOrder, write=True),
        Operation("ExamOrderStatus", ExamOrderQuery, ExamOrder),
        Operation("LabResults", ExamOrderQuery, LabReport),
        Operation("ExamReport", ExamOrderQuery, ExamReport),
        Operation("PatientReports", PatientReportsQuery, PatientReports),
        Operation("ExamImage", ExamImageQuery, ExamImage),
        Operation("DailyStatement", StatementQuery, Statement),
    )
}


class HisError(DeliveryError):
    """An HIS call failed. ``code`` is stable (the gateway's SOAP faults carry it as faultcode
    ``Client.<code>``/``Server.<code>``); ``permanent`` when the same request cannot succeed later."""

    # transient: try again later
    UNAVAILABLE = "his.unavailable"  # the HIS or the gateway is down or answered "busy"
    TIMEOUT = "his.timeout"
    BAD_REPLY = "his.bad_reply"  # an answer we could not read
    CIRCUIT_OPEN = "his.circuit_open"  # we stopped calling for a while after repeated failures
    RATE_LIMITED = "his.rate_limited"
    # permanent: the request itself is refused
    NOT_FOUND = "his.not_found"
    INVALID_REQUEST = "his.invalid_request"
    CONFLICT = "his.conflict"  # a transaction id reused for a different request, or a state that forbids it
    AUTH_FAILED = "his.auth_failed"
    FORBIDDEN = "his.forbidden"  # the caller's address or the operation is not allowed

    PERMANENT_CODES = frozenset({NOT_FOUND, INVALID_REQUEST, CONFLICT, AUTH_FAILED, FORBIDDEN})
    CODES = PERMANENT_CODES | {UNAVAILABLE, TIMEOUT, BAD_REPLY, CIRCUIT_OPEN, RATE_LIMITED}

    def __init__(self, message: str, *, code: str = UNAVAILABLE, permanent: bool | None = None) -> None:
        if code not in self.CODES:
            code = self.UNAVAILABLE
        super().__init__(message, permanent=code in self.PERMANENT_CODES if permanent is None else permanent)
        self.code = code


R = TypeVar("R")


class HisClient(Protocol):
    """Every implementation: typed operations over ``call``. Writes are idempotent on transaction_id."""

    name: str

    def call(self, operation: str, request: Any) -> Any: ...

    def find_or_register_patient(self, request: PatientQuery) -> HisPatient: ...

    def register_visit(self, request: RegistrationRequest) -> Registration: ...

    def cancel_registration(self, request: CancelRegistrationRequest) -> Registration: ...

    def charge(self, request: ChargeRequest) -> Receipt: ...

    def refund(self, request: RefundRequest) -> Receipt: ...

    def file_record(self, request: RecordFileRequest) -> RecordFiling: ...

    def visit_history(self, request: HistoryQuery) -> VisitHistory: ...

    def drug_catalogue(self, request: DrugQuery) -> DrugCatalogue: ...

    def pharmacies(self, request: PharmacyQuery) -> PharmacyList: ...

    def dispense(self, request: DispenseRequest) -> DispenseTicket: ...

    def cancel_dispense(self, request: CancelDispenseRequest) -> DispenseTicket: ...

    def exam_catalogue(self, request: ExamCatalogueQuery) -> ExamCatalogue: ...

    def place_exam_order(self, request: ExamOrderRequest) -> ExamOrder: ...

    def exam_order_status(self, request: ExamOrderQuery) -> ExamOrder: ...

    def lab_results(self, request: ExamOrderQuery) -> LabReport: ...

    def exam_report(self, request: ExamOrderQuery) -> ExamReport: ...

    def patient_reports(self, request: PatientReportsQuery) -> PatientReports: ...

    def exam_image(self, request: ExamImageQuery) -> ExamImage: ...

    def daily_statement(self, request: StatementQuery) -> Statement: ...


class TypedOperations:
    """The typed methods of ``HisClient`` for a class that implements ``call(operation, request)``."""

    def call(self, operation: str, request: Any) -> Any:
        raise NotImplementedError

    def find_or_register_patient(self, request: PatientQuery) -> HisPatient:
        return self.call("FindOrRegisterPatient", request)

    def register_visit(self, request: RegistrationRequest) -> Registration:
        return self.call("RegisterVisit", request)

    def cancel_registration(self, request: CancelRegistrationRequest) -> Registration:
        return self.call("CancelRegistration", request)

    def charge(self, request: ChargeRequest) -> Receipt:
        return self.call("Charge", request)

    def refund(self, request: RefundRequest) -> Receipt:
        return self.call("Refund", request)

    def file_record(self, request: RecordFileRequest) -> RecordFiling:
        return self.call("FileRecord", request)

    def visit_history(self, request: HistoryQuery) -> VisitHistory:
        return self.call("VisitHistory", request)

    def drug_catalogue(self, request: DrugQuery) -> DrugCatalogue:
        return self.call("DrugCatalogue", request)

    def pharmacies(self, request: PharmacyQuery) -> PharmacyList:
        return self.call("Pharmacies", request)

    def dispense(self, request: DispenseRequest) -> DispenseTicket:
        return self.call("Dispense", request)

    def cancel_dispense(self, request: CancelDispenseRequest) -> DispenseTicket:
        return self.call("CancelDispense", request)

    def exam_catalogue(self, request: ExamCatalogueQuery) -> ExamCatalogue:
        return self.call("ExamCatalogue", request)

    def place_exam_order(self, request: ExamOrderRequest) -> ExamOrder:
        return self.call("PlaceExamOrder", request)

    def exam_order_status(self, request: ExamOrderQuery) -> ExamOrder:
        return self.call("ExamOrderStatus", request)

    def lab_results(self, request: ExamOrderQuery) -> LabReport:
        return self.call("LabResults", request)

    def exam_report(self, request: ExamOrderQuery) -> ExamReport:
        return self.call("ExamReport", request)

    def patient_reports(self, request: PatientReportsQuery) -> PatientReports:
        return self.call("PatientReports", request)

    def exam_image(self, request: ExamImageQuery) -> ExamImage:
        return self.call("ExamImage", request)

    def daily_statement(self, request: StatementQuery) -> Statement:
        return self.call("DailyStatement", request)
