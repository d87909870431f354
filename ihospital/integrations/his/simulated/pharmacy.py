"""The simulated HIS pharmacy: its drug catalogue and stock."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from ihospital.integrations.his import vendor
from ihospital.integrations.his.simulated import store
from ihospital.integrations.his.simulated.common import Refusal, patient_row, utcnow

if TYPE_CHECKING:
    from ihospital.integrations.his.simulated.system import SimulatedHis


def drug_catalogue(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    keyword = f"%{data.get('keyword', '')}%"
    where = "generic_name LIKE ? OR trade_name LIKE ? OR code LIKE ?"
    total = conn.execute(f"SELECT COUNT(*) FROM drug WHERE {where}", (keyword,) * 3).fetchone()[0]  # noqa: S608
    limit = max(0, min(int(data.get("limit") or 50), 200))
    rows = conn.execute(
        f"SELECT * FROM drug WHERE {where} ORDER BY code LIMIT ? OFFSET ?",  # noqa: S608 - a constant clause
        (keyword, keyword, keyword, limit, max(0, int(data.get("offset") or 0))),
    ).fetchall()
    drugs = []
    for row in rows:
        stock = conn.execute(
            "SELECT s.pharmacy_code, p.name AS pharmacy_name, s.quantity FROM stock s "
            "JOIN pharmacy p ON p.code = s.pharmacy_code WHERE s.drug_code = ? ORDER BY s.pharmacy_code",
            (row["code"],),
        ).fetchall()
        drugs.append({**dict(row), "children_ok": bool(row["children_ok"]), "stock": [dict(s) for s in stock]})
    return {"total": total, "drugs": drugs}


# Where each pharmacy is and when it is open (the HIS's 药房字典 keeps this beside the name).
SITES = {
    "YF01": ("门诊楼一层西侧", "周一至周日 08:00-17:30", "021-64041990-1101", True),
    "YF02": ("急诊楼一层", "24 小时", "021-64041990-1120", False),
    "YF03": ("门诊楼二层 互联网医院服务中心旁", "周一至周五 08:30-20:00，周末 09:00-16:00", "021-64041990-1133", True),
}


def _sites(conn: sqlite3.Connection) -> None:
    """A file seeded before pharmacies had sites gets them now (SimulatedHis.ensure created the table)."""
    if conn.execute("SELECT 1 FROM pharmacy_site LIMIT 1").fetchone() is None:
        codes = {row[0] for row in conn.execute("SELECT code FROM pharmacy")}
        conn.executemany(
            "INSERT OR IGNORE INTO pharmacy_site VALUES (?, ?, ?, ?, ?)",
            [(code, *site) for code, site in SITES.items() if code in codes],
        )


def pharmacies(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    _sites(conn)
    pickup_only = str(data.get("pickup_only", True)).lower() in ("true", "1")
    rows = conn.execute(
        "SELECT p.code, p.name, s.address, s.hours, s.phone, s.pickup FROM pharmacy p "
        "JOIN pharmacy_site s ON s.code = p.code WHERE (? = 0 OR s.pickup = 1) ORDER BY p.code",
        (int(pickup_only),),
    ).fetchall()
    return {"pharmacies": [{**dict(row), "pickup": bool(row["pickup"])} for row in rows]}


def _items(data: dict[str, Any]) -> list[tuple[str, int]]:
    items = data.get("items") or []
    items = [items] if isinstance(items, dict) else list(items)
    found = [(str(item["drug_code"]), int(item["quantity"])) for item in items]
    if not found or any(quantity < 1 for _code, quantity in found):
        raise Refusal(vendor.INVALID, "处方明细为空或数量无效")
    return found


def dispense(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """处方发药申请: reserve the stock of every item at the pharmacy (all or nothing: a refusal rolls the
    write back) and answer with the dispensing number. A prescription is dispensed once."""
    patient_row(conn, data["patient_id"])
    pharmacy_code = data["pharmacy_code"]
    if conn.execute("SELECT 1 FROM pharmacy WHERE code = ?", (pharmacy_code,)).fetchone() is None:
        raise Refusal(vendor.NOT_FOUND, "药房不存在")
    if conn.execute("SELECT 1 FROM dispense WHERE prescription_no = ?", (data["prescription_no"],)).fetchone():
        raise Refusal(vendor.CONFLICT, "该处方已发药")
    items = _items(data)
    for drug_code, quantity in items:
        taken = conn.execute(
            "UPDATE stock SET quantity = quantity - ? WHERE drug_code = ? AND pharmacy_code = ? AND quantity >= ?",
            (quantity, drug_code, pharmacy_code, quantity),
        ).rowcount
        if not taken:
            raise Refusal(vendor.CONFLICT, f"药品 {drug_code} 库存不足")
    dispense_no = f"FY{store.next_number(conn, 'dispense'):010d}"
    conn.execute(
        "INSERT INTO dispense (dispense_no, prescription_no, patient_id, pharmacy_code, method, amount_fen, trade_no, "
        "items, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            dispense_no,
            data["prescription_no"],
            data["patient_id"],
            pharmacy_code,
            data["method"],
            int(data["amount_fen"]),
            data["trade_no"],
            json.dumps(items),
            utcnow().isoformat(),
        ),
    )
    return {
        "dispense_no": dispense_no,
        "prescription_no": data["prescription_no"],
        "pharmacy_code": pharmacy_code,
        "transaction_id": data["transaction_id"],
    }


def stock(conn: sqlite3.Connection, drug_code: str, pharmacy_code: str) -> int:
    """For tests and the developer: the quantity on hand."""
    row = conn.execute(
        "SELECT quantity FROM stock WHERE drug_code = ? AND pharmacy_code = ?", (drug_code, pharmacy_code)
    ).fetchone()
    return int(row[0]) if row else 0


def _with_cancellation(conn: sqlite3.Connection) -> None:
    """A file made before cancelling existed gets its column now."""
    if "cancelled_at" not in {row["name"] for row in conn.execute("PRAGMA table_info(dispense)")}:
        conn.execute("ALTER TABLE dispense ADD COLUMN cancelled_at TEXT")


def cancel_dispense(his: SimulatedHis, conn: sqlite3.Connection, data: dict[str, Any]) -> dict[str, Any]:
    """撤销发药申请: a voided prescription's reserved stock goes back to the pharmacy (once)."""
    _with_cancellation(conn)
    row = conn.execute("SELECT * FROM dispense WHERE prescription_no = ?", (data["prescription_no"],)).fetchone()
    if row is None:
        raise Refusal(vendor.NOT_FOUND, "该处方未发药")
    if row["cancelled_at"]:
        raise Refusal(vendor.CONFLICT, "该处方发药已撤销")
    for drug_code, quantity in json.loads(row["items"]):
        conn.execute(
            "UPDATE stock SET quantity = quantity + ? WHERE drug_code = ? AND pharmacy_code = ?",
            (quantity, drug_code, row["pharmacy_code"]),
        )
    conn.execute(
        "UPDATE dispense SET cancelled_at = ? WHERE dispense_no = ?", (utcnow().isoformat(), row["dispense_no"])
    )
    return {
        "dispense_no": row["dispense_no"],
        "prescription_no": row["prescription_no"],
        "pharmacy_code": row["pharmacy_code"],
        "transaction_id": data["transaction_id"],
    }
