"""The simulated LIS and PACS reports: written once when an order is performed, read as often as asked.

A report is stored when it is made (``perform``: the demo's control page or a task; or, for an order
left to the clock, the first time it is read after its report time), so every read and every push
gives the same values. ``perform`` chooses the outcome — ``normal``, ``abnormal`` or ``critical``
(危急值) — and queues a notice (``report_notice``) that the relay pushes to the app, as a hospital's
integration platform announces a released report.

Key images are pydicom's shipped test files, served as instances of this patient's study: a new SOP
Instance UID per report and image, the patient's name and id, the report's date.
"""

from __future__ import annotations

import base64
import io
import json
import random
import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ihospital.integrations.his import vendor
from ihospital.integrations.his.simulated import catalogue
from ihospital.integrations.his.simulated.common import Refusal, patient_row, utcnow

if TYPE_CHECKING:
    from ihospital.integrations.his.simulated.system import SimulatedHis

OUTCOMES = ("normal", "abnormal", "critical")
UID_ROOT = "1.2.826.0.1.3680043.10.1093"  # the simulated PACS's own UID root
KINDS = {code: kind for code, _n, kind, _p, _s, _d in catalogue.EXAMS}
NAMES = {code: name for code, name, _k, _p, _s, _d in catalogue.EXAMS}
SPECIMENS = {code: spec for code, _n, _k, _p, spec, _d in catalogue.EXAMS}


# --- values ------------------------------------------------------------------------------------------
def flag(value: float, low: float, high: float, code: str) -> str:
    critical_low, critical_high = catalogue.CRITICAL_LIMITS.get(code, (None, None))
    if critical_high is not None and value >= critical_high:
        return "HH"
    if critical_low is not None and value <= critical_low:
        return "LL"
    return "H" if value > high else "L" if value < low else "N"


def reference_text(low: float, high: float) -> str:
    return f"<{high:g}" if low == 0 else f"{low:g}-{high:g}"


def _value(rng: random.Random, item: tuple[str, str, str, float, float, int], outcome: str) -> float:
    code, _name, _unit, low, high, _decimals = item
    span = high - low
    if outcome == "critical":
        critical_low, critical_high = catalogue.CRITICAL_LIMITS[code]
        return critical_high * 1.2 if critical_high is not None else (critical_low or 0) * 0.7
    if outcome == "abnormal":
        return high + span * rng.uniform(0.25, 0.6)
    if outcome == "normal":
        return low + span * rng.uniform(0.15, 0.85)
    return max(0.0, rng.uniform(low - span * 0.15, high + span * 0.2))  # "auto": what the clock brings


def lab_items(rng: random.Random, codes: list[str], outcome: str) -> list[dict[str, Any]]:
    """The result items of these tests. ``abnormal``: the first quantitative item is high; ``critical``: the
    first item with a critical limit is past it (refused when no ordered test has one)."""
    numeric = [item for code in codes for item in catalogue.LAB_ITEMS.get(code, [])]
    qualitative = [item for code in codes for item in catalogue.QUALITATIVE_ITEMS.get(code, [])]
    target = None
    if outcome == "critical":
        target = next((item[0] for item in numeric if item[0] in catalogue.CRITICAL_LIMITS), None)
        if target is None:
            raise Refusal(vendor.INVALID, "所选项目无危急值界限")
    elif outcome == "abnormal" and numeric:
        target = numeric[0][0]
    items = []
    for item in numeric:
        code, name, unit, low, high, decimals = item
        chosen = outcome if code == target else ("auto" if outcome == "auto" else "normal")
        value = round(_value(rng, item, chosen), decimals)
        items.append(
            {
                "code": code,
                "name": name,
                "value": f"{value:.{decimals}f}",
                "unit": unit,
                "reference_range": reference_text(low, high),
                "flag": flag(value, low, high, code),
            }
        )
    for index, (code, name, normal, abnormal) in enumerate(qualitative):
        positive = outcome == "abnormal" and not numeric and index == 0
        text = abnormal if positive else normal
        items.append(
            {
                "code": code,
                "name": name,
                "value": text,
                "unit": "",
                "reference_range": "阴性(-)",
                "flag": "H" if text != normal else "N",
            }
        )
    return items


# --- storing and reading -----------------------------------------------------------------------------
def report_no(kind: str, request_no: str) -> str:
    return ("JYBG" if kind == "lab" else "JCBG") + request_no[2:]


def store_report(conn: sqlite3.Connection, *, order: sqlite3.Row, kind: str, body: dict[str, Any], at: datetime) -> str:
    codes = [code for code in order["item_codes"].split(",") if KINDS.get(code) == kind]
    number = report_no(kind, order["request_no"])
    conn.execute(
        "INSERT INTO report VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            number,
            order["request_no"],
            order["patient_id"],
            kind,
            "、".join(NAMES[code] for code in codes),
            "online" if order["reference"] else "in_person",
            at.isoformat(),
            json.dumps(body, ensure_ascii=False),
        ),
    )
    return number


def _body(rng: random.Random, order: sqlite3.Row, kind: str, outcome: str) -> dict[str, Any]:
    codes = [code for code in order["item_codes"].split(",") if KINDS.get(code) == kind]
    reporter, reviewer = catalogue.REPORTING_PHYSICIANS[kind]
    if kind == "lab":
        return {
            "items": lab_items(rng, codes, outcome),
            "specimen": SPECIMENS[codes[0]],
            "reporting_physician": reporter,
            "reviewing_physician": reviewer,
        }
    modality = SPECIMENS[codes[0]]
    texts = {"abnormal": catalogue.ABNORMAL_EXAM_TEXTS, "critical": catalogue.CRITICAL_EXAM_TEXTS}.get(outcome, {})
    if outcome == "critical" and modality not in texts:
        raise Refusal(vendor.INVALID, "该检查无危急值报告模板")
    normal = catalogue.EXAM_TEXTS.get(modality, ("未见明显异常。", "未见明显异常。"))
    findings, impression = texts.get(modality, normal)
    images = [
        {
            "image_uid": f"{UID_ROOT}.{order['request_no'][2:].lstrip('0') or 0}.{index + 1}",
            "file": name,
            "description": caption,
        }
        for index, (name, caption) in enumerate(catalogue.KEY_IMAGES.get(codes[0], []))
    ]
    return {
        "modality": modality,
        "findings": findings,
        "impression": impression,
        "reporting_physician": reporter,
        "reviewing_physician": reviewer,
        "critical": outcome == "critical",
        "key_images": images,
    }


def make_reports(conn: sqlite3.Connection, order: sqlite3.Row, outcome: str, at: datetime) -> list[tuple[str, str]]:
    """Store the order's lab and exam reports; (kind, report number) of each."""
    rng = random.Random(f"{order['request_no']}:{outcome}")  # noqa: S311 - made-up results, reproducible
    made = []
    for kind in ("lab", "exam"):
        if any(KINDS.get(code) == kind for code in order["item_codes"].split(",")):
            made.append(
                (kind, store_report(conn, order=order, kind=kind, body=_body(rng, order, kind, outcome), at=at))
            )
    return made


def stored(conn: sqlite3.Connection, order: sqlite3.Row, kind: str) -> sqlite3.Row | None:
    """The order's report of this kind; one made now (the clock's outcome) when it is due and not yet made."""
    row = conn.execute("SELECT * FROM report WHERE request_no = ? AND kind = ?", (order["request_no"], kind)).fetchone()
    if row is not None or order["status"] == "cancelled":
        return row
    if not any(KINDS.get(code) == kind for code in order["item_codes"].split(",")):
        return None
    due = datetime.fromisoformat(order["reported_at"])
    if due > utcnow():
        return None
    rng = random.Random(order["request_no"])  # noqa: S311 - the same made-up report however often it is read
    conn.execute("BEGIN IMMEDIATE")
    try:
        again = conn.execute("SELECT 1 FROM report WHERE request_no = ? AND kind = ?", (order["request_no"], kind))
        if again.fetchone() is None:
            store_report(conn, order=order, kind=kind, body=_body(rng, order, kind, "auto"), at=due)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return conn.execute(
        "SELECT * FROM report WHERE request_no = ? AND kind = ?", (order["request_no"], kind)
    ).fetchone()


def reply(row: sqlite3.Row) -> dict[str, Any]:
    """A stored report in the reply's fields (LabReport or ExamReport)."""
    body = json.loads(row["body"])
    common = {
        "request_no": row["request_no"],
        "report_no": row["report_no"],
        "reported_at": datetime.fromisoformat(row["reported_at"]),
        "patient_id": row["patient_id"],
        "title": row["title"],
        "origin": row["origin"],
        "reporting_physician": body["reporting_physician"],
        "reviewing_physician": body["reviewing_physician"],
    }
    if row["kind"] == "lab":
        return {**common, "items": body["items"], "specimen": body["specimen"]}
    images = [{"image_uid": image["image_uid"], "description": image["description"]} for image in body["key_images"]]
    return {
        **common,
        "modality": body["modality"],
        "findings": body["findings"],
        "impression": body["impression"],
        "critical": body["critical"],
        "key_images": images,
    }


def _order(conn: sqlite3.Connection, request_no: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM exam_order WHERE request_no = ?", (request_no,)).fetchone()
    if row is None:
        raise Refusal(vendor.NOT_FOUND, "申请单不存在")
    return row


def _report(conn: sqlite3.Connection, request_no: str, kind: str) -> dict[str, Any]:
    row = stored(conn, _order(conn, request_no), kind)
    if row is None:
        raise Refusal(vendor.NOT_FOUND, "报告未出")
    return reply(row)


# --- the functions (6004, 6005, 6006, 6007) ----------------------------------------------------------
def lab_results(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    return _report(conn, data["request_no"], "lab")


def exam_report(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    return _report(conn, data["request_no"], "exam")


def patient_reports(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    patient_row(conn, data["patient_id"])
    since = data.get("since") or "0000-00-00"
    rows = conn.execute(
        "SELECT report_no, request_no, kind, title, reported_at, origin FROM report "
        "WHERE patient_id = ? AND reported_at >= ? ORDER BY reported_at DESC, report_no DESC",
        (data["patient_id"], since),
    ).fetchall()
    reports = [{**dict(row), "reported_at": datetime.fromisoformat(row["reported_at"])} for row in rows]
    return {"patient_id": data["patient_id"], "reports": reports}


def exam_image(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM report WHERE report_no = ? AND kind = 'exam'", (data["report_no"],)).fetchone()
    images = {image["image_uid"]: image for image in json.loads(row["body"])["key_images"]} if row else {}
    image = images.get(data["image_uid"])
    if row is None or image is None:
        raise Refusal(vendor.NOT_FOUND, "影像不存在")
    content = dicom_instance(
        image["file"], uid=image["image_uid"], report=row, patient=patient_row(conn, row["patient_id"])
    )
    return {"image_uid": image["image_uid"], "content_base64": base64.b64encode(content).decode(), "size": len(content)}


def dicom_instance(file_name: str, *, uid: str, report: sqlite3.Row, patient: sqlite3.Row) -> bytes:
    """pydicom's test file as this patient's image: the PACS's UIDs, name, id and study date."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.uid import UID

    path = get_testdata_file(file_name)
    if path is None:
        raise Refusal(vendor.NOT_FOUND, "影像文件缺失")
    dataset = pydicom.dcmread(str(path))
    dataset.SOPInstanceUID = uid
    dataset.file_meta.MediaStorageSOPInstanceUID = UID(uid)
    dataset.StudyInstanceUID = uid.rsplit(".", 1)[0]
    dataset.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: the patient's name is Chinese
    dataset.PatientName = patient["name"]
    dataset.PatientID = patient["patient_id"]
    dataset.StudyDate = datetime.fromisoformat(report["reported_at"]).strftime("%Y%m%d")
    dataset.AccessionNumber = report["request_no"]
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


# --- performing an order and announcing its reports --------------------------------------------------
def perform(conn: sqlite3.Connection, request_no: str, outcome: str) -> list[tuple[str, str]]:
    """The lab and the imaging department perform the order now and release its reports with this outcome;
    each report is queued for the push. Refused when the order is unknown, cancelled or already reported."""
    if outcome not in OUTCOMES:
        raise Refusal(vendor.INVALID, f"未知结果类型 {outcome}")
    order = _order(conn, request_no)
    if order["status"] == "cancelled":
        raise Refusal(vendor.CONFLICT, "申请单已取消")
    if conn.execute("SELECT 1 FROM report WHERE request_no = ?", (request_no,)).fetchone():
        raise Refusal(vendor.CONFLICT, "报告已发布")
    at = utcnow()
    made = make_reports(conn, order, outcome, at)
    conn.execute(
        "UPDATE exam_order SET status = 'reported', reported_at = ? WHERE request_no = ?", (at.isoformat(), request_no)
    )
    for kind, number in made:
        conn.execute(
            "INSERT INTO report_notice (report_no, request_no, kind, created_at) VALUES (?, ?, ?, ?)",
            (number, request_no, kind, at.isoformat()),
        )
    return made
