"""The simulated HIS pharmacy: its drug catalogue and stock."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

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
