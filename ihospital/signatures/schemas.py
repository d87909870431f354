from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema


class VerificationOut(Schema):
    """A signature checked: ``valid`` and the first failed check's ``code`` (``signature.valid`` when none)."""

    signature_id: UUID
    document_type: str
    document_id: UUID
    version: int
    valid: bool
    code: str
    message: str
    checks: dict[str, bool]
    chain: list[str]
    algorithm: str
    signer: str
    certificate_serial: str
    certificate_subject: str
    certificate_not_before: datetime
    certificate_not_after: datetime
    certificate_revoked_at: datetime | None
    signed_at: datetime
    digest: str
