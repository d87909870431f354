"""The demo hospital: departments, doctors, pharmacists, a nurse and the test personas."""

from __future__ import annotations

import hashlib
from datetime import date

from ihospital.accounts.idcard import check_character

DEMO_STAFF_PASSWORD = "Demo-Hospital-2026"
DEMO_SIGNING_PIN = "246810"  # every demo doctor's and pharmacist's signing PIN (docs/signatures.md)


def totp_key(username: str) -> str:
    """The demo authenticator key of a staff member (hex, 20 bytes): known, so that the demo's printed logins
    work and /dev/totp/ shows the current codes. Never used outside the demo."""
    return hashlib.sha1(f"ihospital demo authenticator {username}".encode(), usedforsecurity=False).hexdigest()


# (code, Chinese, English, description)
DEPARTMENTS = [
    ("internal", "内科", "Internal Medicine", ""),
    ("cardiology", "心血管内科", "Cardiology", "高血压、冠心病、心律失常的复诊与用药调整"),
    ("respiratory", "呼吸内科", "Respiratory Medicine", "慢性支气管炎、哮喘、慢阻肺复诊"),
    ("gastro", "消化内科", "Gastroenterology", "胃炎、消化性溃疡、肠易激综合征复诊"),
    ("endocrine", "内分泌科", "Endocrinology", "糖尿病、甲状腺疾病的长期管理"),
    ("nephrology", "肾内科", "Nephrology", "慢性肾病随访"),
    ("neurology", "神经内科", "Neurology", "头痛、脑卒中后随访"),
    ("surgery", "外科", "Surgery", ""),
    ("general_surgery", "普外科", "General Surgery", "术后复查与伤口护理咨询"),
    ("orthopedics", "骨科", "Orthopaedics", "骨折术后、关节病复诊"),
    ("urology", "泌尿外科", "Urology", "前列腺、泌尿结石复诊"),
    ("gynecology", "妇科", "Gynaecology", "妇科慢病复诊"),
    ("pediatrics", "儿科", "Paediatrics", "儿童常见病、慢病复诊（6岁以下需监护人陪同）"),
    ("dermatology", "皮肤科", "Dermatology", "湿疹、银屑病、痤疮复诊"),
    ("ophthalmology", "眼科", "Ophthalmology", "干眼症、青光眼随访"),
    ("ent", "耳鼻咽喉科", "Otorhinolaryngology (ENT)", "过敏性鼻炎、慢性咽炎复诊"),
    ("tcm", "中医科", "Traditional Chinese Medicine", "中医调理复诊"),
    ("psych_counsel", "心理咨询门诊", "Psychological Counselling", "心理咨询（不开具精神类药品）"),
]
PARENTS = {
    "cardiology": "internal",
    "respiratory": "internal",
    "gastro": "internal",
    "endocrine": "internal",
    "nephrology": "internal",
    "neurology": "internal",
    "general_surgery": "surgery",
    "orthopedics": "surgery",
    "urology": "surgery",
}

CHIEF, ASSOC, ATTENDING, RESIDENT = "主任医师", "副主任医师", "主治医师", "住院医师"
# (username, name, title, department codes, specialties)
DOCTORS = [
    ("dr_bob", "王建国", CHIEF, ["cardiology"], "高血压、冠心病"),
    ("dr_erin", "李晓梅", ASSOC, ["endocrine"], "糖尿病、甲状腺结节"),
    ("dr_zhang_wei", "张伟", ATTENDING, ["cardiology"], "心律失常"),
    ("dr_liu_yang", "刘洋", CHIEF, ["respiratory"], "慢阻肺、哮喘"),
    ("dr_chen_jing", "陈静", ATTENDING, ["respiratory"], "慢性咳嗽"),
    ("dr_yang_fan", "杨帆", ASSOC, ["gastro"], "胃食管反流、幽门螺杆菌"),
    ("dr_zhao_min", "赵敏", ATTENDING, ["gastro"], "炎症性肠病"),
    ("dr_huang_lei", "黄磊", CHIEF, ["nephrology"], "慢性肾病"),
    ("dr_zhou_qiang", "周强", ASSOC, ["neurology"], "头痛、癫痫随访"),
    ("dr_wu_lin", "吴琳", ATTENDING, ["general_surgery"], "甲状腺、乳腺术后随访"),
    ("dr_xu_hao", "徐浩", CHIEF, ["orthopedics"], "关节置换术后"),
    ("dr_sun_li", "孙丽", ASSOC, ["urology"], "前列腺增生"),
    ("dr_ma_jun", "马骏", ATTENDING, ["gynecology"], "月经病、更年期综合征"),
    ("dr_zhu_ying", "朱颖", CHIEF, ["pediatrics"], "儿童哮喘、过敏"),
    ("dr_hu_tao", "胡涛", ATTENDING, ["pediatrics"], "儿童消化"),
    ("dr_guo_hua", "郭华", ASSOC, ["dermatology"], "湿疹、银屑病"),
    ("dr_lin_xue", "林雪", ATTENDING, ["ophthalmology"], "干眼症、青光眼"),
    ("dr_he_peng", "何鹏", ASSOC, ["ent"], "过敏性鼻炎"),
    ("dr_gao_yuan", "高远", CHIEF, ["tcm"], "脾胃调理"),
    ("dr_luo_qing", "罗青", RESIDENT, ["internal"], "全科复诊"),
]
# (username, name, role, title)
OTHER_STAFF = [
    ("carol", "陈卡萝", "pharmacist", "主管药师"),
    ("ph_song_yu", "宋雨", "pharmacist", "药师"),
    ("ph_tang_kai", "唐凯", "pharmacist", "副主任药师"),
    ("nurse_nina", "倪娜", "nurse", "主管护师"),
    ("admin", "医务处管理员", "hospital_admin", ""),
    ("secadmin", "安全管理员", "security_admin", ""),
    ("auditor", "审计员", "auditor", ""),
]

# Patients sign in with their number and a code from the SMS sandbox.
PATIENTS = [("alice", "13800000001"), ("mallory", "13800000002")]


def certificate_no(index: int) -> str:
    """A realistic-looking 15-digit 执业证书编号 (level, province, year, sequence)."""
    return f"1103201{index:08d}"


def resident_id(region: str, birth: date, sequence: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def alice_visit_persons(today: date) -> list[dict[str, str]]:
    child_birth = date(today.year - 3, 6, 15)
    return [
        {
            "relationship": "self",
            "name": "艾丽斯",
            "id_number": resident_id("320505", date(1988, 4, 12), 122),
            "phone": "13800000001",
            "allergies": "青霉素",
            "chronic_conditions": "高血压",
        },
        {
            "relationship": "child",
            "name": "艾小宝",
            "id_number": resident_id("320505", child_birth, 131),
            "phone": "13800000001",
            "guardian_name": "艾丽斯",
            "guardian_id_number": resident_id("320505", date(1988, 4, 12), 122),
            "guardian_phone": "13800000001",
        },
    ]


FEES_BY_TITLE = {CHIEF: 5000, ASSOC: 3000, ATTENDING: 2000, RESIDENT: 1000}  # fen per online slot


def schedules_for(index: int, username: str) -> list[tuple[int, str, str, int]]:
    """(day offset, period, category, capacity) of a demo doctor's next week. dr_bob and dr_erin work
    every day so the demo always has slots to book; the others a few sessions each, plus on-site ones
    (which the patient app must never offer)."""
    if username in ("dr_bob", "dr_erin"):
        return [(day, period, "video", 12) for day in range(7) for period in ("morning", "afternoon", "evening")]
    days = [(index + k) % 7 for k in (0, 2, 4)]
    return [(days[0], "morning", "video", 8), (days[1], "afternoon", "text", 10), (days[2], "morning", "onsite", 20)]
