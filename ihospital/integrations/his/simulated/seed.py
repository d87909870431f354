"""Deterministic demo data for the simulated HIS: the same file every time for the same day.

The demo personas' visit persons (alice 艾丽斯 and her child 艾小宝, by the ID numbers the demo gives
them) have years of in-person visits; forty other patients make the HIS look like a hospital's.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta

from ihospital.integrations.his.simulated import catalogue, reports, store

SEED = 11
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(region: str, birth: date, sequence: int) -> str:
    """A valid 18-digit resident ID number (GB 11643: ISO 7064 MOD 11-2 check character)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def persona_patients(today: date) -> list[tuple[str, str, str, date, str]]:
    """(id number, name, sex, birth date, phone) of the demo's visit persons (web/demo_data.py)."""
    child_birth = date(today.year - 3, 6, 15)
    return [
        (resident_id("320505", date(1988, 4, 12), 122), "艾丽斯", "female", date(1988, 4, 12), "13800000001"),
        (resident_id("320505", child_birth, 131), "艾小宝", "male", child_birth, "13800000001"),
    ]


# (department, ICD-10, diagnosis, complaint, [generic names prescribed])
CONDITIONS = [
    ("心血管内科", "I10", "原发性高血压", "头晕，血压控制复查", ["苯磺酸氨氯地平片", "厄贝沙坦片"]),
    ("心血管内科", "I25.1", "动脉粥样硬化性心脏病", "活动后胸闷", ["阿司匹林肠溶片", "阿托伐他汀钙片"]),
    ("心血管内科", "E78.5", "高脂血症", "血脂复查", ["瑞舒伐他汀钙片"]),
    ("内分泌科", "E11.9", "2型糖尿病", "血糖控制复诊", ["盐酸二甲双胍片", "格列美脲片"]),
    ("内分泌科", "E03.9", "甲状腺功能减退症", "乏力，甲功复查", ["左甲状腺素钠片"]),
    ("呼吸内科", "J44.9", "慢性阻塞性肺病", "咳嗽咳痰，气短", ["噻托溴铵粉吸入剂", "盐酸氨溴索片"]),
    ("呼吸内科", "J45.9", "支气管哮喘", "夜间喘息", ["布地奈德福莫特罗粉吸入剂", "孟鲁司特钠片"]),
    ("呼吸内科", "J06.9", "急性上呼吸道感染", "发热、咽痛两天", ["连花清瘟胶囊", "对乙酰氨基酚片"]),
    ("消化内科", "K29.5", "慢性胃炎", "上腹胀痛", ["奥美拉唑肠溶胶囊", "铝碳酸镁咀嚼片"]),
    ("消化内科", "K21.0", "胃食管反流病伴食管炎", "反酸烧心", ["艾司奥美拉唑镁肠溶片", "莫沙必利片"]),
    ("神经内科", "G43.9", "偏头痛", "反复头痛", ["盐酸氟桂利嗪胶囊", "布洛芬缓释胶囊"]),
    ("骨科", "M17.9", "膝关节病", "膝关节疼痛", ["氨基葡萄糖胶囊", "塞来昔布胶囊"]),
    ("皮肤科", "L20.9", "特应性皮炎", "皮肤瘙痒、皮疹", ["糠酸莫米松乳膏", "氯雷他定片"]),
    ("耳鼻咽喉科", "J30.4", "变应性鼻炎", "鼻塞流涕、打喷嚏", ["糠酸莫米松鼻喷雾剂", "氯雷他定片"]),
    ("泌尿外科", "N40", "前列腺增生", "夜尿增多", ["坦索罗辛缓释胶囊", "非那雄胺片"]),
]
CHILD_CONDITIONS = [
    ("儿科", "J06.9", "急性上呼吸道感染", "发热、流涕", ["布洛芬混悬液", "小儿豉翘清热颗粒"]),
    ("儿科", "J20.9", "急性支气管炎", "咳嗽三天", ["氨溴索口服溶液", "小儿肺热咳喘口服液"]),
    ("儿科", "K59.0", "便秘", "大便干结", ["乳果糖口服溶液"]),
    ("儿科", "L20.9", "特应性皮炎", "面部皮疹", ["丁酸氢化可的松乳膏", "维生素E乳膏"]),
    ("儿科", "A09.9", "急性胃肠炎", "腹泻两天", ["蒙脱石散", "口服补液盐散(Ⅲ)"]),
]
DOCTORS = {
    "心血管内科": ["王建国", "张伟"],
    "内分泌科": ["李晓梅"],
    "呼吸内科": ["刘洋", "陈静"],
    "消化内科": ["杨帆", "赵敏"],
    "神经内科": ["周强"],
    "骨科": ["徐浩"],
    "皮肤科": ["郭华"],
    "耳鼻咽喉科": ["何鹏"],
    "泌尿外科": ["孙丽"],
    "儿科": ["朱颖", "胡涛"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
]
FREQUENCIES = ["每日一次", "每日两次", "每日三次", "必要时"]


def _drug_rows(rng: random.Random) -> list[tuple]:
    rows: list[tuple] = []
    for generic, trade, form, strengths, package, unit, price, flags in catalogue.DRUGS:
        grade = int(flags[flags.index("A") + 1]) if "A" in flags else 0
        controlled = flags.split("C:", 1)[1][:2] if "C:" in flags else ""
        variants = [
            (strength, package.format(s=strength), price * (1 + index)) for index, strength in enumerate(strengths)
        ]
        if "×7片/盒" in package:  # long-term prescriptions of chronic patients come in a 28-tablet box
            variants += [(s, p.replace("×7片", "×28片"), fen * 4 * 9 // 10) for s, p, fen in variants]
        for strength, pack, fen in variants:
            code = f"YP{len(rows) + 1:05d}"
            rows.append((code, generic, trade, form, strength, pack, unit, fen, controlled, grade, int("K" in flags)))
    return rows


def _ensure_reference(conn: sqlite3.Connection, rng: random.Random) -> dict[str, tuple[str, str, str]]:
    conn.executemany("INSERT INTO pharmacy VALUES (?, ?)", catalogue.PHARMACIES)
    drugs = _drug_rows(rng)
    conn.executemany("INSERT INTO drug VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", drugs)
    stock = [
        (row[0], pharmacy, 0 if rng.random() < 0.08 else rng.randint(5, 600))
        for row in drugs
        for pharmacy, _name in catalogue.PHARMACIES
    ]
    conn.executemany("INSERT INTO stock VALUES (?, ?, ?)", stock)
    conn.executemany("INSERT INTO exam_item VALUES (?, ?, ?, ?, ?, ?)", catalogue.EXAMS)
    by_generic: dict[str, tuple[str, str, str]] = {}
    for row in drugs:
        by_generic.setdefault(row[1], (row[0], f"{row[1]} {row[4]}", row[6]))
    return by_generic


def _add_patient(conn: sqlite3.Connection, number: int, person: tuple[str, str, str, date, str], at: datetime) -> str:
    id_number, name, sex, birth, phone = person
    patient_id = f"{number:08d}"
    conn.execute(
        "INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (patient_id, f"C{number:09d}", id_number, name, sex, birth.isoformat(), phone, at.isoformat()),
    )
    return patient_id


def _add_visits(
    conn: sqlite3.Connection,
    rng: random.Random,
    *,
    patient_id: str,
    conditions: list[tuple[str, str, str, str, list[str]]],
    count: int,
    first: date,
    last: date,
    drugs: dict[str, tuple[str, str, str]],
) -> None:
    span = max(1, (last - first).days)
    days = sorted(rng.sample(range(span), min(count, span)))
    for day in days:
        department, icd, diagnosis, complaint, generics = rng.choice(conditions)
        encounter = f"MZ{store.next_number(conn, 'visit'):010d}"
        visit_day = first + timedelta(days=day)
        doctor = rng.choice(DOCTORS[department])
        conn.execute(
            "INSERT INTO visit VALUES (?, ?, ?, ?, ?, 'in_person', ?)",
            (encounter, patient_id, visit_day.isoformat(), department, doctor, complaint),
        )
        conn.execute("INSERT INTO diagnosis VALUES (?, 0, ?, ?)", (encounter, icd, diagnosis))
        for position, generic in enumerate(generics):
            code, name, unit = drugs[generic]
            conn.execute(
                "INSERT INTO prescribed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    encounter,
                    position,
                    code,
                    name,
                    "1片" if unit == "盒" else "适量",
                    rng.choice(FREQUENCIES),
                    rng.choice([3, 5, 7, 14, 28]),
                    rng.randint(1, 3),
                    unit,
                ),
            )


def seed(conn: sqlite3.Connection, today: date) -> None:
    """Fill an empty database (inside the caller's write transaction)."""
    rng = random.Random(SEED)  # noqa: S311 - made-up demo data, the same every time
    drugs = _ensure_reference(conn, rng)
    at = datetime(today.year - 5, 1, 4, 1, 30, tzinfo=UTC)
    alice, child = persona_patients(today)
    alice_id = _add_patient(conn, 1, alice, at)
    child_id = _add_patient(conn, 2, child, at)
    _add_visits(
        conn,
        rng,
        patient_id=alice_id,
        conditions=CONDITIONS[:3] + CONDITIONS[7:8],
        count=14,
        first=today - timedelta(days=4 * 365),
        last=today - timedelta(days=20),
        drugs=drugs,
    )
    _add_visits(
        conn,
        rng,
        patient_id=child_id,
        conditions=CHILD_CONDITIONS,
        count=6,
        first=child[3] + timedelta(days=90),
        last=today - timedelta(days=10),
        drugs=drugs,
    )
    for index in range(40):
        sex = rng.choice(["male", "female"])
        birth = date(rng.randint(1945, 2015), rng.randint(1, 12), rng.randint(1, 28))
        person = (
            resident_id("320506", birth, 200 + index),
            rng.choice(SURNAMES) + rng.choice(GIVEN),
            sex,
            birth,
            f"139{rng.randint(10000000, 99999999)}",
        )
        patient_id = _add_patient(conn, 3 + index, person, at)
        _add_visits(
            conn,
            rng,
            patient_id=patient_id,
            conditions=CONDITIONS,
            count=rng.randint(1, 10),
            first=today - timedelta(days=3 * 365),
            last=today - timedelta(days=1),
            drugs=drugs,
        )
    conn.execute("INSERT INTO counter VALUES ('patient', 42)")
    for offset, items in ((400, "JY0006,JY0005"), (200, "JY0008"), (60, "JC0011")):
        placed = datetime.combine(today - timedelta(days=offset), datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
        number = conn.execute("SELECT COUNT(*) FROM exam_order").fetchone()[0] + 1
        amount = sum(price for code, _n, _k, price, _s, _d in catalogue.EXAMS if code in items.split(","))
        conn.execute(
            "INSERT INTO exam_order VALUES (?, ?, '', ?, '复查', ?, '', ?, ?, 'reported')",
            (
                f"SQ{number:010d}",
                alice_id,
                items,
                amount,
                placed.isoformat(),
                (placed + timedelta(hours=4)).isoformat(),
            ),
        )
    conn.execute("INSERT INTO counter VALUES ('exam_order', 3)")
    conn.execute("INSERT INTO meta VALUES ('seeded_for', ?)", (today.isoformat(),))


# alice's in-person reports: (days ago, tests, outcome or the HbA1c value). A repeated HbA1c over two years
# (her diabetes coming under control), a normal blood count, an abnormal lipid panel, a chest CT.
PERSONA_REPORTS: list[tuple[int, str, str | float]] = [
    (720, "JY0008", 8.6),
    (630, "JY0008", 8.1),
    (540, "JY0008", 7.7),
    (450, "JY0008", 7.4),
    (360, "JY0008", 7.0),
    (270, "JY0008", 7.2),
    (150, "JY0001", "normal"),
    (120, "JY0008", 6.6),
    (90, "JY0006", "abnormal"),
    (45, "JC0002", "abnormal"),
    (30, "JY0008", 6.3),
]


def _persona_order(conn: sqlite3.Connection, patient_id: str, items: str, at: datetime) -> sqlite3.Row:
    number = store.next_number(conn, "exam_order")
    amount = sum(price for code, _n, _k, price, _s, _d in catalogue.EXAMS if code in items.split(","))
    request_no = f"SQ{number:010d}"
    conn.execute(
        "INSERT INTO exam_order VALUES (?, ?, '', ?, '复查', ?, '', ?, ?, 'reported')",
        (request_no, patient_id, items, amount, (at - timedelta(hours=4)).isoformat(), at.isoformat()),
    )
    return conn.execute("SELECT * FROM exam_order WHERE request_no = ?", (request_no,)).fetchone()


def _hba1c_report(conn: sqlite3.Connection, order: sqlite3.Row, value: float, at: datetime) -> None:
    code, name, unit, low, high, _decimals = catalogue.LAB_ITEMS["JY0008"][0]
    item = {
        "code": code,
        "name": name,
        "value": f"{value:.1f}",
        "unit": unit,
        "reference_range": reports.reference_text(low, high),
        "flag": reports.flag(value, low, high, code),
    }
    reporter, reviewer = catalogue.REPORTING_PHYSICIANS["lab"]
    body = {"items": [item], "specimen": "静脉血", "reporting_physician": reporter, "reviewing_physician": reviewer}
    reports.store_report(conn, order=order, kind="lab", body=body, at=at)


def seed_reports(conn: sqlite3.Connection, today: date) -> None:
    """The LIS/PACS reports of alice's in-person visits (inside the caller's write transaction); the orders
    seeded earlier get theirs too."""
    alice_id = "00000001"
    for order in conn.execute("SELECT * FROM exam_order WHERE status = 'reported' AND reference = ''").fetchall():
        if conn.execute("SELECT 1 FROM report WHERE request_no = ?", (order["request_no"],)).fetchone() is None:
            at = datetime.fromisoformat(order["reported_at"])
            if order["item_codes"] == "JY0008":
                _hba1c_report(conn, order, 6.8, at)
            else:
                reports.make_reports(conn, order, "normal", at)
    for days, items, outcome in PERSONA_REPORTS:
        at = datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
        order = _persona_order(conn, alice_id, items, at)
        if isinstance(outcome, float):
            _hba1c_report(conn, order, outcome, at)
        else:
            reports.make_reports(conn, order, outcome, at)
    conn.execute("INSERT INTO meta VALUES ('reports_seeded_for', ?)", (today.isoformat(),))
