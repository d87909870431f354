"""Prescription writes (services): writing a draft, checking, submitting and signing, reviewing, releasing.

Each service is keyword-only and typed, opens its own transaction (except those that sign, which run outside
any transaction and open short ones around the signing), audits in that transaction and moves states by
compare-and-set (``core.state.transition``).
"""

from ihospital.prescriptions.services.release import patient_link, prescription_release

__all__ = ["patient_link", "prescription_release"]
