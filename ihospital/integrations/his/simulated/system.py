"""The simulated HIS: answers ``Call(FuncCode, XML)`` over its own SQLite file, like a vendor's HIS would.

    his = SimulatedHis("var/his-sim.sqlite3")   # created and seeded on first use
    his.call("4001", b"<Request><PatientID>00000001</PatientID></Request>")

Writes are applied once per transaction number (交易流水号): a repeat gets the first answer, the same
request under a reused number with different content is refused (ResultCode 1003).

Failures on demand (``fault_next``), stored in the HIS's own file so the gateway's process and a test
or developer in another process see the same: ``latency`` and ``timeout`` (the answer comes after
``delay`` seconds: a caller with a shorter read timeout gives up while the HIS goes on), ``error`` (it
answers "system busy"), ``down`` (no answer at all), ``malformed`` (the request is processed but the
answer is garbage), ``duplicate`` (the request arrives twice, as after a network retry).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ihospital.integrations.his import codec, vendor
from ihospital.integrations.his.simulated import exams, pharmacy, reports, store
from ihospital.integrations.his.simulated.common import Refusal, patient_row, utcnow
from ihospital.integrations.his.simulated.seed import seed, seed_reports

HOSPITAL_TZ = ZoneInfo("Asia/Shanghai")
FAULT_MODES = ("latency", "timeout", "error", "down", "malformed", "duplicate")
FAULT_LIFETIME_SECONDS = 3600
WRITES = {"2001", "2002", "3001", "3002", "4002", "5102", "5103", "6002"}
_seeding = threading.Lock()
_local = threading.local()
_ensured: set[Path] = set()


class SimulatedHis:
    def __init__(self, path: str | Path, *, latency: float = 0.0, report_delay_seconds: float = 0.0) -> None:
        self.path = Path(path)
        self.latency = latency
        self.report_delay = timedelta(seconds=report_delay_seconds)

    # --- the database ------------------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        """This thread's connection to the file (kept open: opening and closing one per call cost more
        than the call, the close checkpointing the WAL each time)."""
        conns: dict[Path, sqlite3.Connection] = _local.__dict__.setdefault("conns", {})
        conn = conns.get(self.path)
        if conn is None:
            if self.path not in _ensured:  # once per process: another thread may have just created the file
                self.ensure()
                _ensured.add(self.path)
            while len(conns) >= 4:  # tests use a file each; keep a thread's last few
                conns.pop(next(iter(conns))).close()
            conn = conns[self.path] = store.connect(self.path)
        return conn

    def ensure(self, today: date | None = None) -> None:
        """Create and seed the database unless it exists already (safe for racing processes)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _seeding:
            conn = store.connect(self.path)
            try:
                conn.executescript(store.SCHEMA)
                with store.write(conn):
                    if conn.execute("SELECT 1 FROM meta WHERE key = 'seeded_for'").fetchone() is None:
                        seed(conn, today or datetime.now(HOSPITAL_TZ).date())
                    if conn.execute("SELECT 1 FROM meta WHERE key = 'reports_seeded_for'").fetchone() is None:
                        seed_reports(conn, today or datetime.now(HOSPITAL_TZ).date())  # files made before reports
            finally:
                conn.close()

    # --- faults ------------------------------------------------------------------------------------
    def fault_next(self, mode: str, count: int = 1, delay: float = 0.0) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; choose one of {', '.join(FAULT_MODES)}")
        self.connect().execute(
            "INSERT INTO fault VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, "
            "remaining = excluded.remaining, delay_seconds = excluded.delay_seconds, armed_at = excluded.armed_at",
            (mode, count, delay, time.time()),
        )

    def clear_faults(self) -> None:
        self.connect().execute("UPDATE fault SET remaining = 0")

    def _take_fault(self, conn: sqlite3.Connection) -> tuple[str, float] | None:
        fresh = time.time() - FAULT_LIFETIME_SECONDS
        row = conn.execute(
            "SELECT mode, delay_seconds FROM fault WHERE remaining > 0 AND armed_at > ?", (fresh,)
        ).fetchone()
        if row is None:  # the usual case costs one read
            return None
        used = conn.execute(
            "UPDATE fault SET remaining = remaining - 1 WHERE id = 1 AND remaining > 0 AND armed_at > ?", (fresh,)
        ).rowcount
        return (row["mode"], row["delay_seconds"]) if used else None

    # --- the entry point ---------------------------------------------------------------------------
    def call(self, func_code: str, xml: bytes) -> bytes:
        conn = self.connect()
        conn.execute("INSERT INTO call_log (func_code, at) VALUES (?, ?)", (func_code, time.time()))
        fault = self._take_fault(conn)
        if self.latency:
            time.sleep(self.latency)
        mode, delay = fault or ("", 0.0)
        if mode == "down":
            raise vendor.HisUnreachable("simulated HIS is down")
        if mode == "error":
            return vendor.reply_xml(vendor.BUSY, "系统忙，请稍后再试")
        if mode in ("latency", "timeout"):
            time.sleep(delay)
        answer = self._answer(conn, func_code, xml)
        if mode == "duplicate":
            answer = self._answer(conn, func_code, xml)
        if mode == "malformed":
            return answer[: len(answer) // 2] + b"<<garbled"
        return answer

    def _answer(self, conn: sqlite3.Connection, func_code: str, xml: bytes) -> bytes:
        handler = HANDLERS.get(func_code)
        if handler is None:
            return vendor.reply_xml(vendor.UNKNOWN_FUNCTION, f"未知功能号 {func_code}")
        try:
            _tag, data = codec.from_vendor_xml(xml)
        except ValueError as exc:
            return vendor.reply_xml(vendor.INVALID, f"入参格式错误: {exc}")
        try:
            if func_code in WRITES:
                if not data.get("transaction_id"):
                    raise Refusal(vendor.INVALID, "缺少交易流水号")
                return self._write_once(conn, func_code, data, handler)
            return vendor.reply_xml(vendor.OK, "成功", handler(self, conn, data))
        except Refusal as refusal:
            return vendor.reply_xml(refusal.result_code, str(refusal))
        except (KeyError, ValueError, TypeError) as exc:
            return vendor.reply_xml(vendor.INVALID, f"入参错误: {exc}")

    def _write_once(self, conn: sqlite3.Connection, func_code: str, data: dict[str, Any], handler: Handler) -> bytes:
        digest = hashlib.sha256(json.dumps([func_code, data], sort_keys=True, default=str).encode()).hexdigest()
        with store.write(conn):
            row = conn.execute("SELECT * FROM txn WHERE transaction_id = ?", (data["transaction_id"],)).fetchone()
            if row is not None:
                if row["request_digest"] != digest or row["func_code"] != func_code:
                    raise Refusal(vendor.CONFLICT, "交易流水号已用于其他业务")
                conn.execute(
                    "UPDATE txn SET applied_count = applied_count + 1 WHERE transaction_id = ?",
                    (data["transaction_id"],),
                )
                return bytes(row["reply"], "utf-8")
            answer = vendor.reply_xml(vendor.OK, "成功", handler(self, conn, data))
            conn.execute(
                "INSERT INTO txn VALUES (?, ?, ?, ?, 1, ?)",
                (data["transaction_id"], func_code, digest, answer.decode("utf-8"), utcnow().isoformat()),
            )
            return answer

    # --- for tests and the developer ------------------------------------------------------------------
    def deliveries(self, transaction_id: str) -> int:
        """How many times this transaction number reached the HIS (it was applied once)."""
        row = (
            self.connect()
            .execute("SELECT applied_count FROM txn WHERE transaction_id = ?", (transaction_id,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    # --- the LIS/PACS side: performing orders and the push queue (reports.py) ---------------------------
    def perform(self, request_no: str, outcome: str = "normal") -> list[tuple[str, str]]:
        """Perform the order now and release its reports (``outcome``: normal, abnormal, critical); each is
        queued for the push. (kind, report number) of each; ``Refusal`` when it cannot be performed."""
        conn = self.connect()
        with store.write(conn):
            return reports.perform(conn, request_no, outcome)

    def pending_notices(self, limit: int = 20) -> list[dict[str, Any]]:
        """Released reports not yet delivered to the app, oldest first."""
        rows = self.connect().execute(
            "SELECT notice_id, report_no, request_no, kind, attempts FROM report_notice "
            "WHERE delivered_at IS NULL ORDER BY notice_id LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows.fetchall()]

    def notice_outcome(self, notice_id: int, *, delivered: bool, error: str = "") -> None:
        self.connect().execute(
            "UPDATE report_notice SET attempts = attempts + 1, last_error = ?, "
            "delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END WHERE notice_id = ?",
            (error[:500], delivered, utcnow().isoformat(), notice_id),
        )

    def recent_orders(self, limit: int = 30) -> list[dict[str, Any]]:
        """The newest orders with their state, for the control page."""
        rows = self.connect().execute(
            "SELECT o.request_no, o.item_codes, o.status, o.reported_at, o.placed_at, p.name FROM exam_order o "
            "JOIN patient p ON p.patient_id = o.patient_id WHERE o.reference != '' ORDER BY o.placed_at DESC LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows.fetchall()]

    def count(self, table: str, **where: str) -> int:
        if table not in COUNTABLE:
            raise ValueError(table)
        clause = " AND ".join(f"{column} = ?" for column in where) or "1"
        sql = f"SELECT COUNT(*) FROM {table} WHERE {clause}"  # noqa: S608 - table and columns are ours
        return int(self.connect().execute(sql, tuple(where.values())).fetchone()[0])


COUNTABLE = (
    "registration",
    "receipt",
    "exam_order",
    "patient",
    "call_log",
    "txn",
    "medical_record",
    "report",
    "dispense",
)
Handler = Callable[[SimulatedHis, sqlite3.Connection, dict[str, Any]], dict[str, Any]]


# --- the functions -----------------------------------------------------------------------------------
def find_or_register_patient(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    id_number = str(data["id_number"]).upper()
    if len(id_number) != 18:
        raise Refusal(vendor.INVALID, "身份证号格式错误")
    with store.write(conn):
        row = conn.execute("SELECT * FROM patient WHERE id_number = ?", (id_number,)).fetchone()
        if row is not None:
            if row["name"] != data["name"]:
                raise Refusal(vendor.CONFLICT, "身份证号与姓名不符")
            return {"patient_id": row["patient_id"], "card_no": row["card_no"], "name": row["name"], "created": False}
        if data.get("register") not in ("1", True):
            raise Refusal(vendor.NOT_FOUND, "未建档")
        number = store.next_number(conn, "patient")
        patient_id, card_no = f"{number:08d}", f"C{number:09d}"
        conn.execute(
            "INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient_id,
                card_no,
                id_number,
                data["name"],
                data["sex"],
                data["birth_date"],
                data.get("phone", ""),
                utcnow().isoformat(),
            ),
        )
    return {"patient_id": patient_id, "card_no": card_no, "name": data["name"], "created": True}


def register_visit(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    patient_row(conn, data["patient_id"])
    number = store.next_number(conn, "registration")
    registration_no = f"GH{date.fromisoformat(data['session_date']):%Y%m%d}{number:06d}"
    conn.execute(
        "INSERT INTO registration VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'registered', ?)",
        (
            registration_no,
            data["patient_id"],
            data["department_code"],
            data["doctor_code"],
            data["session_date"],
            data["period"],
            int(data["slot_number"]),
            int(data["fee_fen"]),
            data["reference"],
            utcnow().isoformat(),
        ),
    )
    return {
        "registration_no": registration_no,
        "patient_id": data["patient_id"],
        "status": "registered",
        "fee_fen": int(data["fee_fen"]),
    }


def cancel_registration(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM registration WHERE registration_no = ?", (data["registration_no"],)).fetchone()
    if row is None:
        raise Refusal(vendor.NOT_FOUND, "挂号记录不存在")
    conn.execute("UPDATE registration SET status = 'cancelled' WHERE registration_no = ?", (data["registration_no"],))
    return {
        "registration_no": row["registration_no"],
        "patient_id": row["patient_id"],
        "status": "cancelled",
        "fee_fen": row["fee_fen"],
    }


def _receipt(conn: sqlite3.Connection, prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    at = utcnow()
    receipt_no = f"{prefix}{at.astimezone(HOSPITAL_TZ):%Y%m%d}{store.next_number(conn, 'receipt'):06d}"
    conn.execute(
        "INSERT INTO receipt VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            receipt_no,
            values["kind"],
            values["patient_id"],
            values["amount_fen"],
            values["channel"],
            values["trade_no"],
            values["reference"],
            values["item"],
            values["original"],
            values["transaction_id"],
            at.isoformat(),
            at.astimezone(HOSPITAL_TZ).date().isoformat(),
        ),
    )
    return {
        "receipt_no": receipt_no,
        "kind": values["kind"],
        "amount_fen": values["amount_fen"],
        "transaction_id": values["transaction_id"],
    }


def charge(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    patient_row(conn, data["patient_id"])
    amount = int(data["amount_fen"])
    if amount <= 0:
        raise Refusal(vendor.INVALID, "收费金额必须大于零")
    return _receipt(
        conn,
        "SF",
        {
            "kind": "charge",
            "patient_id": data["patient_id"],
            "amount_fen": amount,
            "channel": data["channel"],
            "trade_no": data["trade_no"],
            "reference": data["reference"],
            "item": data.get("item", ""),
            "original": "",
            "transaction_id": data["transaction_id"],
        },
    )


def refund(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    original = conn.execute(
        "SELECT * FROM receipt WHERE receipt_no = ? AND kind = 'charge'", (data["receipt_no"],)
    ).fetchone()
    if original is None:
        raise Refusal(vendor.NOT_FOUND, "原收费单不存在")
    refunded = conn.execute(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM receipt WHERE original_receipt_no = ?", (data["receipt_no"],)
    ).fetchone()[0]
    amount = int(data["amount_fen"])
    if amount <= 0 or refunded + amount > original["amount_fen"]:
        raise Refusal(vendor.CONFLICT, "退费金额超过可退金额")
    return _receipt(
        conn,
        "TF",
        {
            "kind": "refund",
            "patient_id": original["patient_id"],
            "amount_fen": amount,
            "channel": original["channel"],
            "trade_no": original["trade_no"],
            "reference": data["reference"],
            "item": data.get("reason", ""),
            "original": data["receipt_no"],
            "transaction_id": data["transaction_id"],
        },
    )


def visit_history(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    patient_row(conn, data["patient_id"])
    since = data.get("since") or "0000-00-00"
    visits = []
    rows = conn.execute(
        "SELECT * FROM visit WHERE patient_id = ? AND visit_date >= ? ORDER BY visit_date DESC, encounter_id DESC",
        (data["patient_id"], since),
    ).fetchall()
    for row in rows:
        diagnoses = conn.execute(
            "SELECT code, name FROM diagnosis WHERE encounter_id = ? ORDER BY position", (row["encounter_id"],)
        ).fetchall()
        items = conn.execute(
            "SELECT drug_code, drug_name, dose, frequency, days, quantity, unit FROM prescribed "
            "WHERE encounter_id = ? ORDER BY position",
            (row["encounter_id"],),
        ).fetchall()
        visits.append(
            {
                "encounter_id": row["encounter_id"],
                "visit_date": row["visit_date"],
                "department": row["department"],
                "doctor": row["doctor"],
                "kind": row["kind"],
                "complaint": row["complaint"],
                "diagnoses": [dict(d) for d in diagnoses],
                "prescriptions": [dict(i) for i in items],
            }
        )
    return {"patient_id": data["patient_id"], "visits": visits}


def file_record(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """病历归档: keep the signed document and its signature, and show the visit (with its diagnoses) in the
    patient's visit history. A later version of the same document (an amendment) replaces the visit's
    diagnoses; every version stays filed."""
    patient_row(conn, data["patient_id"])
    conn.execute(store.MEDICAL_RECORD_TABLE)  # a file seeded before filing existed gets the table now
    version = int(data["version"])
    if version < 1 or not data.get("document") or not data.get("signature"):
        raise Refusal(vendor.INVALID, "病历内容或签名缺失")
    if conn.execute(
        "SELECT 1 FROM medical_record WHERE reference = ? AND version = ?", (data["reference"], version)
    ).fetchone():
        raise Refusal(vendor.CONFLICT, "该版本病历已归档")
    diagnoses = data.get("diagnoses") or []
    diagnoses = [diagnoses] if isinstance(diagnoses, dict) else list(diagnoses)
    first = conn.execute("SELECT encounter_id FROM medical_record WHERE reference = ?", (data["reference"],)).fetchone()
    encounter_id = first[0] if first else f"WZ{store.next_number(conn, 'online_visit'):010d}"
    if first is None:
        conn.execute(
            "INSERT INTO visit VALUES (?, ?, ?, ?, ?, 'online', ?)",
            (
                encounter_id,
                data["patient_id"],
                str(data["visit_date"]),
                data["department_code"],
                data["doctor_code"],
                data["chief_complaint"],
            ),
        )
    conn.execute("DELETE FROM diagnosis WHERE encounter_id = ?", (encounter_id,))
    for position, diagnosis in enumerate(diagnoses):
        conn.execute(
            "INSERT INTO diagnosis VALUES (?, ?, ?, ?)", (encounter_id, position, diagnosis["code"], diagnosis["name"])
        )
    filing_no = f"BL{store.next_number(conn, 'medical_record'):010d}"
    conn.execute(
        "INSERT INTO medical_record VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            filing_no,
            data["reference"],
            version,
            data["patient_id"],
            encounter_id,
            data["document"],
            data["signature"],
            data["algorithm"],
            data["certificate_serial"],
            str(data["signed_at"]),
            utcnow().isoformat(),
        ),
    )
    return {
        "filing_no": filing_no,
        "reference": data["reference"],
        "version": version,
        "transaction_id": data["transaction_id"],
    }


def daily_statement(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    channel = data.get("channel") or ""
    rows = conn.execute(
        "SELECT * FROM receipt WHERE local_day = ? AND (? = '' OR channel = ?) ORDER BY at, receipt_no",
        (data["day"], channel, channel),
    ).fetchall()
    lines = [
        {
            "receipt_no": r["receipt_no"],
            "transaction_id": r["transaction_id"],
            "kind": r["kind"],
            "amount_fen": r["amount_fen"],
            "channel": r["channel"],
            "trade_no": r["trade_no"],
            "reference": r["reference"],
            "at": datetime.fromisoformat(r["at"]),
        }
        for r in rows
    ]
    return {
        "day": data["day"],
        "total_charged_fen": sum(line["amount_fen"] for line in lines if line["kind"] == "charge"),
        "total_refunded_fen": sum(line["amount_fen"] for line in lines if line["kind"] == "refund"),
        "lines": lines,
    }


HANDLERS: dict[str, Handler] = {
    "1001": find_or_register_patient,
    "2001": register_visit,
    "2002": cancel_registration,
    "3001": charge,
    "3002": refund,
    "4001": visit_history,
    "4002": file_record,
    "5001": pharmacy.drug_catalogue,
    "5101": pharmacy.pharmacies,
    "5102": pharmacy.dispense,
    "5103": pharmacy.cancel_dispense,
    "6001": exams.exam_catalogue,
    "6002": exams.place_exam_order,
    "6003": exams.exam_order_status,
    "6004": reports.lab_results,
    "6005": reports.exam_report,
    "6006": reports.patient_reports,
    "6007": reports.exam_image,
    "7001": daily_statement,
}
