"""Prescription writes (services): writing a draft, checking, submitting and signing, reviewing, releasing.

Each service is keyword-only and typed, opens its own transaction (except those that sign, which run outside
any transaction and open short ones around the signing), audits in that transaction — and its refusals in
one of their own — and moves states by compare-and-set (``core.state.transition``).
"""

from ihospital.prescriptions.services._common import REVIEW_GROUP
from ihospital.prescriptions.services.release import patient_link, prescription_release
from ihospital.prescriptions.services.review import prescription_approve, prescription_reject
from ihospital.prescriptions.services.submit import prescription_submit, signed_payload
from ihospital.prescriptions.services.writing import (
    Facts,
    prescription_facts_set,
    prescription_item_add,
    prescription_item_change,
    prescription_item_remove,
    prescription_open,
    prescription_revise,
)

__all__ = [
    "REVIEW_GROUP",
    "Facts",
    "patient_link",
    "prescription_approve",
    "prescription_facts_set",
    "prescription_item_add",
    "prescription_item_change",
    "prescription_item_remove",
    "prescription_open",
    "prescription_reject",
    "prescription_release",
    "prescription_revise",
    "prescription_submit",
    "signed_payload",
]
