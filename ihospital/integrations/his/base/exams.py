"""The HIS lab (LIS) and imaging (PACS) requests and replies: catalogue, orders, results, reports, images."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
