"""The simulated HIS lab (LIS) and imaging (PACS): catalogue and orders (their reports: ``reports``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ihospital.integrations.his import vendor
from ihospital.integrations.his.simulated import catalogue, store
from ihospital.integrations.his.simulated.common import Refusal, patient_row, utcnow
from ihospital.integrations.his.simulated.exam_guide import guide_of

if TYPE_CHECKING:
    from ihospital.integrations.his.simulated.system import SimulatedHis


def exam_catalogue(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind") or ""
    rows = conn.execute("SELECT * FROM exam_item WHERE ? = '' OR kind = ? ORDER BY code", (kind, kind)).fetchall()
    return {"items": [{**dict(row), **guide_of(row["code"])} for row in rows]}


def _order_reply(row: sqlite3.Row) -> dict[str, Any]:
    status = row["status"]
    if status == "placed" and datetime.fromisoformat(row["reported_at"]) <= utcnow():
        status = "reported"
    return {
        "request_no": row["request_no"],
        "patient_id": row["patient_id"],
        "status": status,
        "item_codes": row["item_codes"].split(","),
        "amount_fen": row["amount_fen"],
    }


def place_exam_order(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    patient_row(conn, data["patient_id"])
    codes = data.get("item_codes") or []
    codes = [codes] if isinstance(codes, str) else list(codes)
    prices = {code: price for code, _name, _kind, price, _spec, _dept in catalogue.EXAMS}
    if not codes or any(code not in prices for code in codes):
        raise Refusal(vendor.INVALID, "检验检查项目不存在")
    placed = utcnow()
    request_no = f"SQ{store.next_number(conn, 'exam_order'):010d}"
    conn.execute(
        "INSERT INTO exam_order VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'placed')",
        (
            request_no,
            data["patient_id"],
            data["doctor_code"],
            ",".join(codes),
            data.get("clinical_note", ""),
            sum(prices[code] for code in codes),
            data["reference"],
            placed.isoformat(),
            (placed + his.report_delay).isoformat(),
        ),
    )
    return _order_reply(conn.execute("SELECT * FROM exam_order WHERE request_no = ?", (request_no,)).fetchone())


def _order(conn: sqlite3.Connection, request_no: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM exam_order WHERE request_no = ?", (request_no,)).fetchone()
    if row is None:
        raise Refusal(vendor.NOT_FOUND, "申请单不存在")
    return row


def exam_order_status(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    return _order_reply(_order(conn, data["request_no"]))
