"""Account writes (a package since it passed 600 lines; the import path stays ``ihospital.accounts.services``):
sign-in, tokens, staff accounts and language in ``sign_in``; visit persons in ``visit_persons``."""

from ihospital.accounts.services.sign_in import (
    CONSENT_FIELDS,
    CodeSent,
    ConsentGiven,
    StaffAccountInput,
    account_language_set,
    api_token_issue,
    api_token_revoke,
    patient_sign_in,
    sms_code_send,
    staff_account_create,
    staff_password_change,
    staff_sign_in,
    staff_token_second_step,
)
from ihospital.accounts.services.visit_persons import (
    DETAIL_CLEANERS,
    EDITABLE_FIELDS,
    GUARDIAN_AGE_LIMIT,
    VisitPersonInput,
    visit_person_create,
    visit_person_his_link,
    visit_person_name_correct,
    visit_person_remove,
    visit_person_update,
)

__all__ = [
    "CONSENT_FIELDS",
    "CodeSent",
    "ConsentGiven",
    "DETAIL_CLEANERS",
    "EDITABLE_FIELDS",
    "GUARDIAN_AGE_LIMIT",
    "StaffAccountInput",
    "VisitPersonInput",
    "account_language_set",
    "api_token_issue",
    "api_token_revoke",
    "patient_sign_in",
    "sms_code_send",
    "staff_account_create",
    "staff_password_change",
    "staff_sign_in",
    "staff_token_second_step",
    "visit_person_create",
    "visit_person_his_link",
    "visit_person_name_correct",
    "visit_person_remove",
    "visit_person_update",
]
