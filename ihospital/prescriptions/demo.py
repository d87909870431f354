"""The demo's prescription waiting for carol's review (审方), for `ihospital demo`: idempotent.

alice came yesterday for her hypertension follow-up with dr_bob (a completed video visit, written here as if
it had happened: the demo cannot wait for a real one); dr_bob signed the record (I10) and prescribed
amlodipine and atorvastatin — the statin warns that no diagnosis of the record suits it, and his reason says
why — then signed and submitted it. Everything after the visit goes through the real services.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from ihospital.accounts.models import User
from ihospital.audit.services import Actor
from ihospital.prescriptions import rules, services
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.selectors.checks import finding_key
from ihospital.records.demo import PastVisit, past_visit, record_signed
from ihospital.records.services import RecordContent

COMPLAINT = "高血压复诊：近一月家中血压 135/85 左右，无头晕胸闷，要求续开降压药。"
RECORD = RecordContent(
    chief_complaint=COMPLAINT,
    present_illness="原发性高血压病史 3 年，规律服用氨氯地平 5 mg 每日一次，血压控制尚可。",
    past_history="高脂血症，服用阿托伐他汀。",
    examination_notes="视频下精神好，自测血压 132/84 mmHg，心率 72 次/分。",
    diagnoses=["I10"],
    treatment_advice="继续原方案降压、调脂治疗，低盐饮食，规律运动。",
    follow_up_advice="一月后复诊，血压高于 140/90 或不适随时就诊。",
)
REASON = "既往高脂血症（外院诊断），长期服用阿托伐他汀，血脂达标，续用。"


def load_prescription_demo(*, pin: str, actor: Actor) -> Prescription | None:
    """A prescription of alice's waiting for a pharmacist (made once; None when alice or dr_bob is missing).

    Preconditions: outside any transaction (the record and the prescription are signed); dr_bob's signing
    PIN is ``pin``.
    """
    alice, bob = (User.objects.filter(username=name).first() for name in ("alice", "dr_bob"))
    if alice is None or bob is None:
        return None
    waiting = PrescriptionVersion.objects.filter(
        status=PrescriptionVersion.Status.SUBMITTED, prescription__visit_person__account=alice
    ).first()
    if waiting is not None:
        return waiting.prescription
    yesterday = date.today() - timedelta(days=1)
    visit = PastVisit(COMPLAINT, yesterday, time(10, 0), prior_visit_date=yesterday - timedelta(days=90))
    consultation = past_visit(patient=alice, doctor=bob, visit=visit)
    if consultation is None:
        return None
    record_signed(consultation=consultation, doctor=bob, pin=pin, content=RECORD)
    version = services.prescription_open(doctor=bob, consultation=consultation, actor=Actor.of(bob))
    if version.status != PrescriptionVersion.Status.DRAFT:
        return version.prescription
    for item in (
        rules.Item("YP00001", Decimal(5), "mg", "qd", "po", 7),  # 苯磺酸氨氯地平片 5mg×7片
        rules.Item("YP00050", Decimal(20), "mg", "qn", "po", 7),  # 阿托伐他汀钙片 20mg
    ):
        if not version.items.filter(drug_code=item.drug_code).exists():
            version = services.prescription_item_add(
                doctor=bob, version=version, item=item, revision=version.revision, actor=Actor.of(bob)
            )
    reasons = {finding_key(f): REASON for f in version.findings if f["severity"] == "warn"}
    version = services.prescription_submit(
        doctor=bob, version=version, revision=version.revision, reasons=reasons, pin=pin, actor=Actor.of(bob)
    )
    return version.prescription
