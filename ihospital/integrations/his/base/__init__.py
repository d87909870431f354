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
from ihospital.integrations.his.base.exams import (
    ExamCatalogue as ExamCatalogue,
)
from ihospital.integrations.his.base.exams import (
    ExamCatalogueQuery as ExamCatalogueQuery,
)
from ihospital.integrations.his.base.exams import (
    ExamImage as ExamImage,
)
from ihospital.integrations.his.base.exams import (
    ExamImageQuery as ExamImageQuery,
)
from ihospital.integrations.his.base.exams import (
    ExamItem as ExamItem,
)
from ihospital.integrations.his.base.exams import (
    ExamOrder as ExamOrder,
)
from ihospital.integrations.his.base.exams import (
    ExamOrderQuery as ExamOrderQuery,
)
from ihospital.integrations.his.base.exams import (
    ExamOrderRequest as ExamOrderRequest,
)
from ihospital.integrations.his.base.exams import (
    ExamReport as ExamReport,
)
from ihospital.integrations.his.base.exams import (
    KeyImageRef as KeyImageRef,
)
from ihospital.integrations.his.base.exams import (
    LabReport as LabReport,
)
from ihospital.integrations.his.base.exams import (
    PatientReports as PatientReports,
)
from ihospital.integrations.his.base.exams import (
    PatientReportsQuery as PatientReportsQuery,
)
from ihospital.integrations.his.base.exams import (
    ReportSummary as ReportSummary,
)
from ihospital.integrations.his.base.exams import (
    ResultItem as ResultItem,
)
from ihospital.integrations.his.base.pharmacy import (
    CancelDispenseRequest as CancelDispenseRequest,
)
from ihospital.integrations.his.base.pharmacy import (
    DispenseItem as DispenseItem,
)
from ihospital.integrations.his.base.pharmacy import (
    DispenseRequest as DispenseRequest,
)
from ihospital.integrations.his.base.pharmacy import (
    DispenseTicket as DispenseTicket,
)
from ihospital.integrations.his.base.pharmacy import (
    Drug as Drug,
)
from ihospital.integrations.his.base.pharmacy import (
    DrugCatalogue as DrugCatalogue,
)
from ihospital.integrations.his.base.pharmacy import (
    DrugQuery as DrugQuery,
)
from ihospital.integrations.his.base.pharmacy import (
    PharmacyList as PharmacyList,
)
from ihospital.integrations.his.base.pharmacy import (
    PharmacyQuery as PharmacyQuery,
)
from ihospital.integrations.his.base.pharmacy import (
    PharmacySite as PharmacySite,
)
from ihospital.integrations.his.base.pharmacy import (
    Stock as Stock,
)

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
