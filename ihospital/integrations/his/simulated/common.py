"""What the simulated HIS's functions share: the refusal they answer with, the clock, the patient lookup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from ihospital.integrations.his import vendor


class Refusal(Exception):
    def __init__(self, result_code: str, message: str) -> None:
        super().__init__(message)
        self.result_code = result_code


def utcnow() -> datetime:
    return datetime.now(UTC)


def patient_row(conn: sqlite3.Connection, patient_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM patient WHERE patient_id = ?", (patient_id,)).fetchone()
    if row is None:
        raise Refusal(vendor.NOT_FOUND, "病人不存在")
    return row
