"""The demo's released prescription for alice, for `ihospital demo` (idempotent): what she pays for and has
delivered or picks up.

alice came for a hypertension follow-up with dr_bob two days ago (a completed video visit, written here as if
it had happened: the demo cannot wait for a real one); dr_bob signed the record (I10), prescribed amlodipine,
signed and submitted it, and carol approved and signed it — released to alice, through the real services.
alice also gets a home address in her book, and the pickup pharmacies are read from the HIS.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from ihospital.accounts.models import User
from ihospital.audit.services import Actor
from ihospital.fulfilment import services
from ihospital.fulfilment.models import Address, Pharmacy
from ihospital.integrations.his import HisError
from ihospital.prescriptions import rules
from ihospital.prescriptions import services as rx
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.records.demo import PastVisit, past_visit, record_signed
from ihospital.records.services import RecordContent

COMPLAINT = "高血压复诊：血压控制平稳，降压药快用完，申请续方并送药到家。"
RECORD = RecordContent(
    chief_complaint=COMPLAINT,
    present_illness="原发性高血压病史 3 年，服用氨氯地平 5 mg 每日一次，家中血压 125-135/80-85 mmHg。",
    past_history="无药物过敏史。",
    examination_notes="视频下精神好，自测血压 128/82 mmHg，心率 70 次/分。",
    diagnoses=["I10"],
    treatment_advice="继续氨氯地平 5 mg 每日一次，低盐饮食，规律运动。",
    follow_up_advice="一月后复诊；血压高于 140/90 或头晕胸闷随时就诊。",
)
HOME = services.AddressInput(
    recipient="艾丽斯",
    phone="13800000001",
    province="上海市",
    city="上海市",
    district="徐汇区",
    detail="宛平南路 600 号 3 号楼 502 室",
    is_default=True,
)


def load_fulfilment_demo(*, pin: str, actor: Actor) -> Prescription | None:
    """alice's released prescription (made once; None when alice, dr_bob or carol is missing).

    Preconditions: outside any transaction (records and prescriptions are signed); dr_bob's and carol's
    signing PIN is ``pin``."""
    if not Pharmacy.objects.exists():  # loading the demo again changes nothing (a daily task keeps them in step)
        try:
            services.pharmacies_sync(actor=actor)
        except HisError:
            pass  # the patient's page reads them again when the HIS answers
    alice, bob, carol = (User.objects.filter(username=name).first() for name in ("alice", "dr_bob", "carol"))
    if alice is None or bob is None or carol is None:
        return None
    if not Address.objects.filter(account=alice, retired_at__isnull=True).exists():
        services.address_create(account=alice, data=HOME, actor=Actor.of(alice))
    day = date.today() - timedelta(days=2)
    visit = PastVisit(COMPLAINT, day, time(15, 0), prior_visit_date=day - timedelta(days=60), last_free_slot=True)
    consultation = past_visit(patient=alice, doctor=bob, visit=visit)
    if consultation is None:
        return None
    existing = Prescription.objects.filter(consultation=consultation).exclude(status=Prescription.Status.DRAFT).first()
    if existing is not None and existing.status != Prescription.Status.SUBMITTED:
        return existing
    record_signed(consultation=consultation, doctor=bob, pin=pin, content=RECORD)
    version = rx.prescription_open(doctor=bob, consultation=consultation, actor=Actor.of(bob))
    if version.status == PrescriptionVersion.Status.DRAFT:
        item = rules.Item("YP00001", Decimal(5), "mg", "qd", "po", 7)  # 苯磺酸氨氯地平片 5mg×7片
        if not version.items.filter(drug_code=item.drug_code).exists():
            version = rx.prescription_item_add(
                doctor=bob, version=version, item=item, revision=version.revision, actor=Actor.of(bob)
            )
        version = rx.prescription_submit(
            doctor=bob, version=version, revision=version.revision, reasons={}, pin=pin, actor=Actor.of(bob)
        )
    return rx.prescription_approve(pharmacist=carol, version=version, pin=pin, actor=Actor.of(carol))
