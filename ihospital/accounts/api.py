"""Account endpoints of the patient and staff APIs. Thin: authenticate → access → service → schema."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.urls import reverse
from ninja import Router, Status

from ihospital.accounts import identity, selectors, services
from ihospital.accounts.api_auth import audience
from ihospital.accounts.models import CLINICAL_ROLES, Role
from ihospital.accounts.schemas import (
    IdentityConfirmationOut,
    IdentityConfirmIn,
    MeOut,
    NameCorrectionIn,
    PatientTokenRequest,
    PrivacyNoticeOut,
    SmsCodeRequest,
    SmsCodeSent,
    StaffTokenRequest,
    TokenOut,
    VisitPersonIn,
    VisitPersonOut,
    VisitPersonPatch,
)
from ihospital.audit.services import Actor

PATIENT = audience(Role.PATIENT)
STAFF = audience(*CLINICAL_ROLES)
DOCTOR = audience(Role.DOCTOR)

# --- patient API ------------------------------------------------------------------------------------
# One router per audience: operations on the same path must share a router, or the first one shadows the rest.
patient_router = Router(tags=["account"], auth=PATIENT)


@patient_router.post("/auth/sms-code", response={202: SmsCodeSent}, auth=None)
def send_sms_code(request, body: SmsCodeRequest):
    """Send a 6-digit sign-in code by SMS. Public."""
    return Status(202, services.sms_code_send(phone=body.phone, actor=Actor.of(None, request)))


@patient_router.get("/auth/privacy-notice", response=PrivacyNoticeOut, auth=None)
def privacy_notice(request):
    """The current privacy notice: its version (to send back with the consents) and where to read it. Public."""
    return {
        "version": settings.PRIVACY_NOTICE_VERSION,
        "url": request.build_absolute_uri(reverse("accounts:privacy_notice")),
    }


@patient_router.post("/auth/token", response={201: TokenOut}, auth=None)
def patient_token(request, body: PatientTokenRequest):
    """Exchange a phone number and its SMS code for a Bearer token. Public. A first sign-in, or the first
    after the privacy notice changed, must carry both consents for the current notice version, or it is
    refused with ``account.consent_required`` (403; the code stays usable)."""
    consent = services.ConsentGiven(
        notice_version=body.privacy_notice_version,
        privacy_notice=body.accept_privacy_notice,
        health_data=body.consent_health_data,
    )
    user = services.patient_sign_in(phone=body.phone, code=body.code, actor=Actor.of(None, request), consent=consent)
    secret, token = services.api_token_issue(user=user, actor=Actor.of(user, request))
    return Status(201, {"token": secret, "expires_at": token.expires_at})


@patient_router.delete("/auth/token", response={204: None})
def patient_sign_out(request):
    """Revoke the Bearer token used for this request."""
    _revoke_current_token(request)
    return Status(204, None)


@patient_router.get("/me", response=MeOut)
def patient_me(request):
    return request.auth


@patient_router.get("/visit-persons", response=list[VisitPersonOut])
def list_visit_persons(request):
    return selectors.visit_person_list(account=request.auth, actor=Actor.of(request.auth, request))


@patient_router.post("/visit-persons", response={201: VisitPersonOut})
def create_visit_person(request, body: VisitPersonIn):
    person = services.visit_person_create(
        account=request.auth, data=services.VisitPersonInput(**body.dict()), actor=Actor.of(request.auth, request)
    )
    return Status(201, person)


@patient_router.get("/visit-persons/{person_id}", response=VisitPersonOut)
def get_visit_person(request, person_id: UUID):
    return selectors.access_visit_person(user=request.auth, public_id=person_id, actor=Actor.of(request.auth, request))


@patient_router.patch("/visit-persons/{person_id}", response=VisitPersonOut)
def update_visit_person(request, person_id: UUID, body: VisitPersonPatch):
    actor = Actor.of(request.auth, request)
    person = selectors.access_visit_person(user=request.auth, public_id=person_id, actor=actor)
    return services.visit_person_update(person=person, changes=body.dict(exclude_none=True), actor=actor)


@patient_router.delete("/visit-persons/{person_id}", response={204: None})
def remove_visit_person(request, person_id: UUID):
    """Remove a visit person: no longer listed or bookable, and the place is freed. Their bookings,
    consultations and records are kept."""
    actor = Actor.of(request.auth, request)
    person = selectors.access_visit_person(user=request.auth, public_id=person_id, actor=actor)
    services.visit_person_remove(person=person, actor=actor)
    return Status(204, None)


@patient_router.post("/visit-persons/{person_id}/name", response=VisitPersonOut)
def correct_visit_person_name(request, person_id: UUID, body: NameCorrectionIn):
    """Correct a visit person's name; the full ID number must be the registered one
    (``visit_person.id_number_mismatch``), the name a personal name (``visit_person.name_invalid``)."""
    actor = Actor.of(request.auth, request)
    person = selectors.access_visit_person(user=request.auth, public_id=person_id, actor=actor)
    return services.visit_person_name_correct(person=person, name=body.name, id_number=body.id_number, actor=actor)


# --- staff API --------------------------------------------------------------------------------------
staff_router = Router(tags=["account"], auth=STAFF)


@staff_router.post("/auth/token", response={201: TokenOut}, auth=None)
def staff_token(request, body: StaffTokenRequest):
    """Exchange a staff user name, password and (for the roles that need it) authenticator code for a Bearer
    token. Public; locked after 5 failures. Refuses: account.credentials_wrong, account.staff_locked,
    account.second_factor_required (no ``otp_code``), account.second_factor_not_set_up (set the
    authenticator up by signing in on the web first), account.second_factor_wrong,
    account.password_expired (change it on the web)."""
    user = services.staff_sign_in(
        request=request,
        username=body.username,
        password=body.password,
        actor=Actor.of(None, request),
        roles=CLINICAL_ROLES,
    )
    services.staff_token_second_step(user=user, otp_code=body.otp_code or "", actor=Actor.of(user, request))
    secret, token = services.api_token_issue(user=user, actor=Actor.of(user, request))
    return Status(201, {"token": secret, "expires_at": token.expires_at})


@staff_router.delete("/auth/token", response={204: None})
def staff_sign_out(request):
    _revoke_current_token(request)
    return Status(204, None)


@staff_router.get("/me", response=MeOut)
def staff_me(request):
    return request.auth


@staff_router.post("/identity/confirm", response={201: IdentityConfirmationOut})
def confirm_identity(request, body: IdentityConfirmIn):
    """Re-confirm who is using the account (password or authenticator code) before a consultation. It counts
    for 10 minutes (``valid_until``); 5 failures in a row lock re-checks for 15 minutes."""
    confirmation = identity.staff_identity_confirm(
        user=request.auth,
        password=body.password or "",
        totp_code=body.totp_code or "",
        actor=Actor.of(request.auth, request),
    )
    return Status(201, confirmation)


def _revoke_current_token(request) -> None:
    token = getattr(request.auth, "api_token", None)
    if token is not None:
        services.api_token_revoke(token=token, actor=Actor.of(request.auth, request))
