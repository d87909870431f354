"""The simulated HIS's own database: one SQLite file, apart from the app's tables.

Why SQLite through the standard library's ``sqlite3`` and not a second Django database: the HIS is
another system, reached in production only through the gateway, and the simulation must behave the
same whether the app runs on SQLite or PostgreSQL, in the gateway's process or in the app's (the
in-process sandbox). A file of its own, opened by whoever plays the HIS, gives exactly that: no
migrations mixed with the app's, no router, nothing the app's ORM could join against by mistake, and
the gateway process needs no app database at all. WAL mode lets the gateway's threads read while one
writes; writes take ``BEGIN IMMEDIATE`` so a transaction number is claimed once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MEDICAL_RECORD_TABLE = """
CREATE TABLE IF NOT EXISTS medical_record (
    filing_no TEXT PRIMARY KEY, reference TEXT NOT NULL, version INTEGER NOT NULL, patient_id TEXT NOT NULL,
    encounter_id TEXT NOT NULL, document TEXT NOT NULL, signature TEXT NOT NULL, algorithm TEXT NOT NULL,
    certificate_serial TEXT NOT NULL, signed_at TEXT NOT NULL, filed_at TEXT NOT NULL, UNIQUE (reference, version)
)
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pharmacy (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drug (
    code TEXT PRIMARY KEY, generic_name TEXT NOT NULL, trade_name TEXT NOT NULL, form TEXT NOT NULL,
    strength TEXT NOT NULL, package TEXT NOT NULL, unit TEXT NOT NULL, price_fen INTEGER NOT NULL,
    controlled_class TEXT NOT NULL, antibiotic_grade INTEGER NOT NULL, children_ok INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    drug_code TEXT NOT NULL, pharmacy_code TEXT NOT NULL, quantity INTEGER NOT NULL,
    PRIMARY KEY (drug_code, pharmacy_code)
);
CREATE TABLE IF NOT EXISTS exam_item (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, price_fen INTEGER NOT NULL,
    specimen TEXT NOT NULL, department TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS patient (
    patient_id TEXT PRIMARY KEY, card_no TEXT NOT NULL UNIQUE, id_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, sex TEXT NOT NULL, birth_date TEXT NOT NULL, phone TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS visit (
    encounter_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, visit_date TEXT NOT NULL, department TEXT NOT NULL,
    doctor TEXT NOT NULL, kind TEXT NOT NULL, complaint TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS visit_patient ON visit (patient_id, visit_date);
CREATE TABLE IF NOT EXISTS diagnosis (
    encounter_id TEXT NOT NULL, position INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS diagnosis_visit ON diagnosis (encounter_id);
CREATE TABLE IF NOT EXISTS prescribed (
    encounter_id TEXT NOT NULL, position INTEGER NOT NULL, drug_code TEXT NOT NULL, drug_name TEXT NOT NULL,
    dose TEXT NOT NULL, frequency TEXT NOT NULL, days INTEGER NOT NULL, quantity INTEGER NOT NULL, unit TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prescribed_visit ON prescribed (encounter_id);
CREATE TABLE IF NOT EXISTS registration (
    registration_no TEXT PRIMARY KEY, patient_id TEXT NOT NULL, department_code TEXT NOT NULL,
    doctor_code TEXT NOT NULL, session_date TEXT NOT NULL, period TEXT NOT NULL, slot_number INTEGER NOT NULL,
    fee_fen INTEGER NOT NULL, reference TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS receipt (
    receipt_no TEXT PRIMARY KEY, kind TEXT NOT NULL, patient_id TEXT NOT NULL, amount_fen INTEGER NOT NULL,
    channel TEXT NOT NULL, trade_no TEXT NOT NULL, reference TEXT NOT NULL, item TEXT NOT NULL,
    original_receipt_no TEXT NOT NULL, transaction_id TEXT NOT NULL, at TEXT NOT NULL, local_day TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipt_day ON receipt (local_day);
CREATE TABLE IF NOT EXISTS exam_order (
    request_no TEXT PRIMARY KEY, patient_id TEXT NOT NULL, doctor_code TEXT NOT NULL, item_codes TEXT NOT NULL,
    clinical_note TEXT NOT NULL, amount_fen INTEGER NOT NULL, reference TEXT NOT NULL, placed_at TEXT NOT NULL,
    reported_at TEXT NOT NULL, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS txn (
    transaction_id TEXT PRIMARY KEY, func_code TEXT NOT NULL, request_digest TEXT NOT NULL,
    reply TEXT NOT NULL, applied_count INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fault (
    id INTEGER PRIMARY KEY CHECK (id = 1), mode TEXT NOT NULL, remaining INTEGER NOT NULL,
    delay_seconds REAL NOT NULL, armed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS call_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, func_code TEXT NOT NULL, at REAL NOT NULL
);
"""
SCHEMA += MEDICAL_RECORD_TABLE + ";\n"
# The LIS/PACS reports (body: the values or the findings, as JSON) and the push queue of released ones.
SCHEMA += """
CREATE TABLE IF NOT EXISTS report (
    report_no TEXT PRIMARY KEY, request_no TEXT NOT NULL, patient_id TEXT NOT NULL, kind TEXT NOT NULL,
    title TEXT NOT NULL, origin TEXT NOT NULL, reported_at TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (request_no, kind)
);
CREATE INDEX IF NOT EXISTS report_patient ON report (patient_id, reported_at);
CREATE TABLE IF NOT EXISTS report_notice (
    notice_id INTEGER PRIMARY KEY AUTOINCREMENT, report_no TEXT NOT NULL, request_no TEXT NOT NULL,
    kind TEXT NOT NULL, created_at TEXT NOT NULL, delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
"""

# 处方发药 (issue 13): the pharmacies' public details, and the prescriptions sent to them for dispensing.
PHARMACY_TABLES = """
CREATE TABLE IF NOT EXISTS pharmacy_site (
    code TEXT PRIMARY KEY REFERENCES pharmacy(code), address TEXT NOT NULL, hours TEXT NOT NULL,
    phone TEXT NOT NULL, pickup INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dispense (
    dispense_no TEXT PRIMARY KEY, prescription_no TEXT NOT NULL UNIQUE, patient_id TEXT NOT NULL,
    pharmacy_code TEXT NOT NULL, method TEXT NOT NULL, amount_fen INTEGER NOT NULL, trade_no TEXT NOT NULL,
    items TEXT NOT NULL, at TEXT NOT NULL, cancelled_at TEXT
);
"""
SCHEMA += PHARMACY_TABLES


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode=WAL")  # persistent: once per file
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE) so two writers queue instead of deadlocking."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def next_number(conn: sqlite3.Connection, name: str) -> int:
    conn.execute(
        "INSERT INTO counter (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,)
    )
    return int(conn.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()[0])
