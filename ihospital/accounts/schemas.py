from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema


class SmsCodeRequest(Schema):
    phone: str = Field(..., max_length=20, examples=["13800000001"])


class SmsCodeSent(Schema):
    masked_phone: str
    expires_in: int
    resend_in: int


class PatientTokenRequest(Schema):
    """A first sign-in (or one after the privacy notice changed) also needs both consents for the notice's
    current version (``GET /auth/privacy-notice``); without them: ``account.consent_required``."""

    phone: str = Field(..., max_length=20)
    code: str = Field(..., max_length=10)
    privacy_notice_version: str = Field("", max_length=20, examples=["2026-12"])
    accept_privacy_notice: bool = False
    consent_health_data: bool = Field(
        False, description="The separate consent to processing health information (sensitive personal information)."
    )


class PrivacyNoticeOut(Schema):
    version: str
    url: str


class StaffTokenRequest(Schema):
    """Doctors and pharmacists (settings.STAFF_TOTP_ROLES) also send ``otp_code``: their authenticator's current
    code or a recovery code. Without it: ``account.second_factor_required``."""

    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=128)
    otp_code: str | None = Field(None, max_length=20, examples=["123456"])


class IdentityConfirmIn(Schema):
    """Exactly one of the two: the account password, or the current code of the authenticator app."""

    password: str | None = Field(None, max_length=128)
    totp_code: str | None = Field(None, max_length=10, examples=["123456"])


class IdentityConfirmationOut(Schema):
    confirmed_at: datetime
    valid_until: datetime
    method: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime


class MeOut(Schema):
    id: UUID = Field(..., alias="public_id")
    username: str
    role: str
    full_name: str
    phone: str | None = None


class VisitPersonIn(Schema):
    relationship: str = Field(..., max_length=10)
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=20)
    phone: str = Field(..., max_length=20)
    allergies: str = Field("", max_length=500)
    chronic_conditions: str = Field("", max_length=500)
    guardian_name: str = Field("", max_length=50)
    guardian_id_number: str = Field("", max_length=20)
    guardian_phone: str = Field("", max_length=20)


class VisitPersonPatch(Schema):
    phone: str | None = Field(None, max_length=20)
    allergies: str | None = Field(None, max_length=500)
    chronic_conditions: str | None = Field(None, max_length=500)
    guardian_name: str | None = Field(None, max_length=50)
    guardian_id_number: str | None = Field(None, max_length=20)
    guardian_phone: str | None = Field(None, max_length=20)


class NameCorrectionIn(Schema):
    """The corrected name, and the person's full ID number: it must be the registered one."""

    name: str = Field(..., max_length=50, examples=["艾丽斯"])
    id_number: str = Field(..., max_length=20)


class VisitPersonOut(Schema):
    id: UUID = Field(..., alias="public_id")
    relationship: str
    name: str
    id_number_masked: str
    birth_date: date
    sex: str
    phone: str
    allergies: str
    chronic_conditions: str
    guardian_name: str
    guardian_id_number_masked: str

    @staticmethod
    def resolve_id_number_masked(obj) -> str:
        from ihospital.accounts.idcard import mask

        return mask(obj.id_number)

    @staticmethod
    def resolve_guardian_id_number_masked(obj) -> str:
        from ihospital.accounts.idcard import mask

        return mask(obj.guardian_id_number) if obj.guardian_id_number else ""
