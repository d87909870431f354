"""Account writes of the back office: a security administrator changes an account's details, role and
activation, and resets a staff member's password. Creating a staff account is ``services.staff_account_create``.

Every change is audited with the old and the new value of what changed (never a password). Deactivating an
account, or resetting its password, revokes its API tokens and ends its browser sessions. Nobody changes
their own role or deactivates or resets their own account (separation of duties: another security
administrator does it).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.accounts.errors import AccountError
from ihospital.accounts.models import ADMIN_ROLES, CLINICAL_ROLES, ApiToken, Role, User, UserSession
from ihospital.accounts.passwords import password_set
from ihospital.accounts.selectors import token_cache_key
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, ErrorCode
from ihospital.core.time import now

DETAIL_LIMITS = {"full_name": 50, "title": 50, "practice_certificate_no": 30}
CHANGEABLE = frozenset({*DETAIL_LIMITS, "role", "is_active"})


def _normalised(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"not changeable here: {sorted(unknown)}")
    return {name: bool(value) if name == "is_active" else str(value or "").strip() for name, value in changes.items()}


def _problems(user: User, changes: dict[str, Any], actor: Actor) -> dict[str, tuple[ErrorCode, str]]:
    """field → (code, message) for each change that would be refused, judged on the account as it would
    be after all of ``changes``."""
    found: dict[str, tuple[ErrorCode, str]] = {}
    after = {name: changes.get(name, getattr(user, name)) for name in CHANGEABLE}
    own = actor.public_id == str(user.public_id)
    for name, limit in DETAIL_LIMITS.items():
        if name in changes and len(changes[name]) > limit:
            found[name] = (AccountError.CHANGE_INVALID, _("At most %(limit)d characters.") % {"limit": limit})
    if "full_name" in changes and not after["full_name"] and user.role != Role.PATIENT:
        found["full_name"] = (AccountError.CHANGE_INVALID, _("Staff accounts carry the person's real name."))
    if "role" in changes:
        if after["role"] not in Role.values:
            found["role"] = (AccountError.CHANGE_INVALID, _("Choose a role."))
        elif (user.role == Role.PATIENT) != (after["role"] == Role.PATIENT):
            found["role"] = (AccountError.ROLE_INVALID, str(AccountError.ROLE_INVALID.message))
        elif own:
            found["role"] = (AccountError.OWN_ACCOUNT, str(AccountError.OWN_ACCOUNT.message))
    if "is_active" in changes and not after["is_active"] and own:
        found["is_active"] = (AccountError.OWN_ACCOUNT, str(AccountError.OWN_ACCOUNT.message))
    if (
        after["role"] in CLINICAL_ROLES
        and not after["practice_certificate_no"]
        and {"role", "practice_certificate_no"} & set(changes)
    ):
        found["practice_certificate_no"] = (
            AccountError.CHANGE_INVALID,
            _("Doctors, pharmacists and nurses practise under a certificate number (real-name rule)."),
        )
    return found


def check_account_change(*, user: User, changes: Mapping[str, Any], actor: Actor) -> dict[str, str]:
    """What ``account_change`` would refuse, as field → message (empty when nothing). For forms, which show
    the refusal before anything is saved."""
    return {name: message for name, (_code, message) in _problems(user, _normalised(changes), actor).items()}


def _raise_if_refused(problems: dict[str, tuple[ErrorCode, str]]) -> None:
    if not problems:
        return
    codes = {code for code, _message in problems.values()}
    order = (AccountError.OWN_ACCOUNT, AccountError.ROLE_INVALID, AccountError.CHANGE_INVALID)
    first = next(code for code in order if code in codes)
    raise DomainError(first, fields={name: message for name, (_code, message) in problems.items()})


@transaction.atomic
def account_change(*, user: User, changes: Mapping[str, Any], actor: Actor) -> User:
    """Change an account's name, title, practice certificate number, role and/or activation.

    ``changes`` maps some of full_name, title, practice_certificate_no, role, is_active to new values;
    values equal to the current ones are ignored. Preconditions: the actor is a security administrator
    (the back office admits no one else to accounts). The account row is locked while it changes.

    Refuses (nothing written): account.own_account (own role or own deactivation), account.role_invalid
    (a patient account made staff or the reverse), account.change_invalid (too long, a staff member
    without a name, a doctor/pharmacist/nurse without a practice certificate number); fields name each.

    Side effects: the columns (a role change also sets ``is_staff``: back-office roles use the admin);
    audit entries ``account.update`` {field: [old, new]}, ``account.role_change`` {role: [old, new]};
    a change of ``is_active`` runs ``account_deactivate`` / ``account_activate`` and their side effects.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    wanted = _normalised(changes)
    diff = {name: (getattr(locked, name), new) for name, new in wanted.items() if getattr(locked, name) != new}
    _raise_if_refused(_problems(locked, {name: new for name, (_old, new) in diff.items()}, actor))
    details = {name: diff[name] for name in DETAIL_LIMITS if name in diff}
    columns = {name: new for name, (_old, new) in details.items()}
    if "role" in diff:
        columns |= {"role": diff["role"][1], "is_staff": diff["role"][1] in ADMIN_ROLES}
    if columns:
        User.objects.filter(pk=locked.pk).update(**columns)
    target = {"target_type": "user", "target_id": str(locked.public_id)}
    if details:
        record(actor=actor, action="account.update", details={n: list(v) for n, v in details.items()}, **target)
    if "role" in diff:
        record(actor=actor, action="account.role_change", details={"role": list(diff["role"])}, **target)
    if "is_active" in diff:
        (account_activate if diff["is_active"][1] else account_deactivate)(user=locked, actor=actor)
    user.refresh_from_db()
    return user


@transaction.atomic
def account_deactivate(*, user: User, actor: Actor) -> None:
    """Deactivate an account: it can no longer sign in or use the API. Staff accounts are deactivated,
    never deleted (their signatures, records and audit entries keep pointing at them).

    Refuses: account.own_account, account.already_inactive. Side effects: ``is_active`` off (compare-and-
    set); every API token of the account revoked (and dropped from the token cache); its browser sessions
    ended; an audit entry ``account.deactivate`` {is_active: [true, false], tokens_revoked, sessions_ended}.
    """
    if actor.public_id == str(user.public_id):
        raise DomainError(AccountError.OWN_ACCOUNT, fields={"is_active": AccountError.OWN_ACCOUNT.message})
    if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        raise DomainError(AccountError.ALREADY_INACTIVE)
    revoked, ended = _api_tokens_revoke(user), _sessions_end(user)
    record(
        actor=actor,
        action="account.deactivate",
        target_type="user",
        target_id=str(user.public_id),
        details={"is_active": [True, False], "tokens_revoked": revoked, "sessions_ended": ended},
    )


@transaction.atomic
def account_activate(*, user: User, actor: Actor) -> None:
    """Let a deactivated account sign in again. Refuses: account.already_active. Side effects:
    ``is_active`` on (compare-and-set); an audit entry ``account.activate`` {is_active: [false, true]}."""
    if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
        raise DomainError(AccountError.ALREADY_ACTIVE)
    record(
        actor=actor,
        action="account.activate",
        target_type="user",
        target_id=str(user.public_id),
        details={"is_active": [False, True]},
    )


def check_password(*, user: User, password: str) -> list[str]:
    """The reasons AUTH_PASSWORD_VALIDATORS refuse ``password`` for ``user`` (empty when allowed)."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        return list(error.messages)
    return []


@transaction.atomic
def account_password_reset(*, user: User, password: str, actor: Actor) -> None:
    """A security administrator sets a new password for a staff member (who forgot theirs or may have
    had it stolen).

    Refuses: account.own_account (own password: not from the back office), account.password_not_used
    (patients sign in by SMS code), account.password_invalid (AUTH_PASSWORD_VALIDATORS; the reasons in
    ``fields["password"]``). Side effects: the password hash (and the old one into the history); the
    password marked to be changed at the next sign-in (``password_changed_at`` empty); the account's API
    tokens revoked and its
    browser sessions ended (a stolen password must stop working everywhere); an audit entry
    ``account.password_reset`` {tokens_revoked, sessions_ended}. The password itself is never recorded.
    """
    if actor.public_id == str(user.public_id):
        raise DomainError(AccountError.OWN_ACCOUNT, fields={"password": AccountError.OWN_ACCOUNT.message})
    if user.role == Role.PATIENT:
        raise DomainError(AccountError.PASSWORD_NOT_USED)
    reasons = check_password(user=user, password=password)
    if reasons:
        text = " ".join(reasons)
        raise DomainError(AccountError.PASSWORD_INVALID, fields={"password": text}, reasons=text)
    password_set(user=user, password=password)
    # Set by someone else: the staff member chooses their own at the next sign-in (it counts as expired).
    User.objects.filter(pk=user.pk).update(password_changed_at=None)
    revoked, ended = _api_tokens_revoke(user), _sessions_end(user)
    record(
        actor=actor,
        action="account.password_reset",
        target_type="user",
        target_id=str(user.public_id),
        details={"tokens_revoked": revoked, "sessions_ended": ended},
    )


def _api_tokens_revoke(user: User) -> int:
    """Revoke every live API token of ``user`` at once (no grace period in the token cache)."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    digests = list(live.values_list("key_hash", flat=True))
    revoked = live.update(revoked_at=now())
    keys = [token_cache_key(digest) for digest in digests]
    transaction.on_commit(lambda: cache.delete_many(keys))
    cache.delete_many(keys)  # and now: a request racing the commit must not refill it from a stale read
    return revoked


def _sessions_end(user: User) -> int:
    """Delete the browser sessions of ``user``; returns how many. Database-backed session engines (the
    default, and cached_db) are searched; with a purely cached engine nothing is found here, and Django's
    own checks still sign the user out at the next request (it refuses sessions of inactive users and of
    users whose password changed)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    sessions = store.get_model_class().objects.filter(expire_date__gt=now()).only("session_key", "session_data")
    mine = [
        s.session_key for s in sessions.iterator() if store().decode(s.session_data).get(SESSION_KEY) == str(user.pk)
    ]
    for key in mine:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user, ended_at__isnull=True).update(
        ended_at=now(), end_reason=UserSession.EndReason.RESET
    )
    return len(mine)


@transaction.atomic
def staff_second_factor_reset(*, user: User, actor: Actor) -> None:
    """Remove a staff member's authenticator app and recovery codes (a lost phone, a stolen one). At their
    next sign-in they set up a new one, with their password. Preconditions: the actor is a security
    administrator.

    Refuses: account.own_account (another security administrator does it), account.password_not_used
    (patients), account.no_second_factor (nothing to reset). Side effects: the devices deleted; the
    account's API tokens revoked and browser sessions ended; an audit entry ``account.second_factor_reset``
    {authenticators, recovery_codes, tokens_revoked, sessions_ended}.
    """
    if actor.public_id == str(user.public_id):
        raise DomainError(AccountError.OWN_ACCOUNT)
    if user.role == Role.PATIENT:
        raise DomainError(AccountError.PASSWORD_NOT_USED)
    authenticators, _kinds = TOTPDevice.objects.filter(user_id=user.pk).delete()
    recovery = StaticDevice.objects.filter(user_id=user.pk).count()
    StaticToken.objects.filter(device__user_id=user.pk).delete()
    StaticDevice.objects.filter(user_id=user.pk).delete()
    if not (authenticators or recovery):
        raise DomainError(AccountError.NO_SECOND_FACTOR)
    revoked, ended = _api_tokens_revoke(user), _sessions_end(user)
    record(
        actor=actor,
        action="account.second_factor_reset",
        target_type="user",
        target_id=str(user.public_id),
        details={
            "authenticators": authenticators,
            "recovery_codes": bool(recovery),
            "tokens_revoked": revoked,
            "sessions_ended": ended,
        },
    )
