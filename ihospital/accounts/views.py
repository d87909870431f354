"""Patient pages (sign in with an SMS code, visit persons); staff pages: sign-in, security (authenticator
app) and the identity re-check before a consultation."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts import forms, idcard, identity, passwords, selectors, services, staff_sessions
from ihospital.accounts.errors import AccountError
from ihospital.accounts.models import CLINICAL_ROLES, STAFF_ROLES, IdentityConfirmation, Role, UserSession
from ihospital.accounts.phone import mask_phone, normalize_phone
from ihospital.audit.services import Actor
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import format_local, now
from ihospital.core.web import attach_error, role_required

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


SIGN_IN_PHONE = "accounts.sign_in_phone"  # session key: the number a code was last sent to from this browser
CODE_JUST_SENT = "accounts.code_just_sent"


@require_http_methods(["GET", "POST"])
def patient_sign_in(request):
    """One page, two steps: send the code, then enter it. The number is kept in the session, so a reload
    while the code is valid still shows the code field, and the resend button waits out the cool-down
    (counting down live: accounts/sign-in.js). When the account needs consent (a first sign-in, a new
    privacy notice) the page shows the notice and its two consents, and the same code is sent again."""
    actor = Actor.of(None, request)
    form = forms.SignInForm(request.POST or None, initial={"phone": request.session.get(SIGN_IN_PHONE, "")})
    asks_consent = request.POST.get("consent_shown") == "1"
    just_sent = request.session.pop(CODE_JUST_SENT, False) if request.method == "GET" else False
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            if request.POST.get("step") == "send":
                services.sms_code_send(phone=phone, actor=actor)
                request.session[SIGN_IN_PHONE] = normalize_phone(phone)
                request.session[CODE_JUST_SENT] = True
                return redirect(request.get_full_path())  # so that a reload is a GET, not a second send
            else:
                user = services.patient_sign_in(
                    phone=phone, code=form.cleaned_data.get("code", ""), actor=actor, consent=form.consent()
                )
                request.session.pop(SIGN_IN_PHONE, None)
                login(request, user, backend=MODEL_BACKEND)
                return redirect(_safe_next(request, "accounts:patient_home"))
        except DomainError as error:
            if error.code == AccountError.CONSENT_REQUIRED.code and not asks_consent:
                asks_consent = True  # shown for the first time: a question, not yet an error
            else:
                attach_error(form, error)
    phone = normalize_phone(str(form["phone"].value() or ""))
    pending = selectors.sms_code_pending(phone) if phone else None
    resend_in = pending.resend_in if pending else 0
    wait_label = _("Send a new code (%(seconds)s s)")
    return render(
        request,
        "accounts/patient_sign_in.html",
        {
            "form": form,
            "sent_to": mask_phone(phone) if pending else "",
            "just_sent": just_sent,
            "code_minutes": max(1, -(-pending.expires_in // 60)) if pending else 0,
            "show_code": bool(pending or form["code"].value()),
            "resend_in": resend_in,
            "resend_wait_label": wait_label,
            "resend_label": wait_label % {"seconds": resend_in},
            "asks_consent": asks_consent,
            "notice_version": settings.PRIVACY_NOTICE_VERSION,
        },
    )


def privacy_notice(request):
    """The privacy notice patients consent to, readable by anyone (linked from the sign-in page)."""
    return render(request, "accounts/privacy.html", {"notice_version": settings.PRIVACY_NOTICE_VERSION})


@require_POST
def sign_out(request):
    if request.user.is_authenticated and request.user.role in STAFF_ROLES and request.session.session_key:
        staff_sessions.session_end(
            user=request.user,
            session_key=request.session.session_key,
            reason=UserSession.EndReason.SIGNED_OUT,
            actor=Actor.of(request.user, request),
        )
    logout(request)
    return redirect("web:home")


@role_required(Role.PATIENT)
def patient_home(request):
    persons = selectors.visit_person_list(account=request.user, actor=Actor.of(request.user, request))
    return render(
        request, "accounts/patient_home.html", {"persons": persons, "limit": settings.VISIT_PERSONS_PER_ACCOUNT}
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def visit_person_add(request):
    form = forms.VisitPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_person_create(
                account=request.user,
                data=services.VisitPersonInput(**form.cleaned_data),
                actor=Actor.of(request.user, request),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Visit person added."))
            return redirect("accounts:patient_home")
    return render(request, "accounts/visit_person_form.html", {"form": form, "person": None})


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def visit_person_edit(request, person_id):
    actor = Actor.of(request.user, request)
    person = selectors.access_visit_person(user=request.user, public_id=person_id, actor=actor)
    initial = {name: getattr(person, name) for name in services.EDITABLE_FIELDS}
    form = forms.VisitPersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_person_update(person=person, changes=form.cleaned_data, actor=actor)
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:patient_home")
    return render(
        request,
        "accounts/visit_person_form.html",
        {"form": form, "person": person, "masked_id": idcard.mask(person.id_number)},
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def visit_person_remove(request, person_id):
    """Ask first (what removing does and does not do), then remove on POST."""
    actor = Actor.of(request.user, request)
    person = selectors.access_visit_person(user=request.user, public_id=person_id, actor=actor)
    if request.method == "POST":
        services.visit_person_remove(person=person, actor=actor)
        messages.success(request, _("%(name)s was removed from your visit persons.") % {"name": person.name})
        return redirect("accounts:patient_home")
    return render(request, "accounts/visit_person_remove.html", {"person": person})


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def visit_person_name_correct(request, person_id):
    actor = Actor.of(request.user, request)
    person = selectors.access_visit_person(user=request.user, public_id=person_id, actor=actor)
    form = forms.NameCorrectionForm(request.POST or None, initial={"name": person.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_person_name_correct(person=person, actor=actor, **form.cleaned_data)
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Name corrected."))
            return redirect("accounts:visit_person_edit", person_id=person.public_id)
    return render(
        request,
        "accounts/visit_person_name.html",
        {"form": form, "person": person, "masked_id": idcard.mask(person.id_number)},
    )


STAFF_PENDING = "accounts.staff_sign_in"  # session key: a staff sign-in between its password and its end


@require_http_methods(["GET", "POST"])
def staff_sign_in(request):
    """Step 1: user name and password. Roles in STAFF_TOTP_ROLES go on to the second step (an authenticator
    code; on a first sign-in, setting the authenticator up, which the password just typed allows); an
    expired password is changed next; then the person is signed in."""
    form = forms.StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        try:
            user = services.staff_sign_in(
                request=request,
                username=form.cleaned_data["username"],
                password=password,
                actor=Actor.of(None, request),
                roles=STAFF_ROLES,
            )
            needs_factor = identity.second_factor_required(user)
            if needs_factor and identity.totp_device_of(user, confirmed=True) is None:
                identity.totp_enrolment_begin(user=user, password=password, actor=Actor.of(user, request))
        except DomainError as error:
            attach_error(form, error)
        else:
            request.session[STAFF_PENDING] = {
                "user": str(user.public_id),
                "at": now().timestamp(),
                "next": _safe_next(request, ""),
                "factor_ok": not needs_factor,
            }
            return _sign_in_continue(request, user)
    return render(request, "accounts/staff_sign_in.html", {"form": form})


def _pending_user(request):
    """The staff member half-way through signing in here, or None (none, or it took too long)."""
    pending = request.session.get(STAFF_PENDING)
    if not pending or now().timestamp() - pending["at"] > settings.STAFF_SIGN_IN_STEP_SECONDS:
        request.session.pop(STAFF_PENDING, None)
        return None, None
    user = selectors.active_user(pending["user"])
    return (user, pending) if user else (None, None)


def _sign_in_continue(request, user):
    """The next step of a staff sign-in: the second factor, a password change, or done."""
    pending = request.session[STAFF_PENDING]
    if not pending["factor_ok"]:
        return redirect("accounts:staff_sign_in_verify")
    if passwords.password_expired(user):
        return redirect("accounts:staff_password")
    del request.session[STAFF_PENDING]
    login(request, user, backend=MODEL_BACKEND)
    staff_sessions.session_start(user=user, session_key=request.session.session_key, actor=Actor.of(user, request))
    return redirect(pending["next"] or "web:staff_home")


@never_cache  # shows a new authenticator's key, and recovery codes
@require_http_methods(["GET", "POST"])
def staff_sign_in_verify(request):
    """Step 2 for STAFF_TOTP_ROLES: the authenticator's current code or a recovery code; on a first sign-in,
    setting the authenticator up (QR code, then its code) and receiving recovery codes."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, DomainError(AccountError.SIGN_IN_STEP_EXPIRED).message)
        return redirect("accounts:staff_sign_in")
    if pending["factor_ok"]:
        return _sign_in_continue(request, user)
    enrolled = identity.totp_device_of(user, confirmed=True) is not None
    form = (forms.SecondFactorForm if enrolled else forms.TotpCodeForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.of(user, request)
        try:
            if enrolled:
                identity.staff_second_factor_verify(user=user, code=form.cleaned_data["code"], actor=actor)
            else:
                identity.totp_device_confirm(user=user, code=form.cleaned_data["code"], actor=actor)
        except DomainError as error:
            attach_error(form, error)
        else:
            request.session[STAFF_PENDING] = {**pending, "factor_ok": True}
            if enrolled:
                return _sign_in_continue(request, user)
            codes = identity.recovery_codes_generate(user=user, actor=actor)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "signing_in": True})
    context = {"form": form, "enrolled": enrolled, "staff": user}
    pending_device = None if enrolled else identity.totp_device_of(user, confirmed=False)
    if not enrolled and pending_device is None:  # the set-up was cancelled meanwhile: start again
        request.session.pop(STAFF_PENDING, None)
        return redirect("accounts:staff_sign_in")
    if pending_device is not None:
        uri = pending_device.config_url
        context |= {"secret": identity.totp_secret(pending_device), "uri": uri, "qr_svg": _qr_svg(uri)}
    return render(request, "accounts/staff_sign_in_verify.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_password(request):
    """Change the password: a signed-in staff member any time, or one signing in whose password expired."""
    if request.user.is_authenticated:
        if request.user.role not in STAFF_ROLES:
            raise DomainError(CoreError.FORBIDDEN)
        user, pending = request.user, None
    else:
        user, pending = _pending_user(request)
        if user is None or not pending["factor_ok"]:
            return redirect_to_login(request.get_full_path())
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.staff_password_change(
                user=user,
                current_password=data["current_password"],
                new_password=data["new_password"],
                actor=Actor.of(user, request),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Your password was changed."))
            if pending is not None:
                return _sign_in_continue(request, user)
            update_session_auth_hash(request, user)  # this session goes on; the others end
            return redirect("accounts:staff_security")
    expired = pending is not None or passwords.password_expired(user)
    return render(
        request,
        "accounts/staff_password.html",
        {"form": form, "expired": expired, "days": settings.PASSWORD_MAX_AGE_DAYS, "signing_in": pending is not None},
    )


@role_required(*STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def staff_sessions_page(request):
    """The staff member's active browser sessions; sign out all the others."""
    current = request.session.session_key
    if request.method == "POST":
        count = staff_sessions.sessions_end_others(
            user=request.user, keep_session_key=current, actor=Actor.of(request.user, request)
        )
        messages.success(request, _("Signed out of %(count)d other sessions.") % {"count": count})
        return redirect("accounts:staff_sessions")
    sessions = list(staff_sessions.active_sessions(request.user))
    context = {"sessions": sessions, "current": current, "idle_minutes": settings.STAFF_IDLE_TIMEOUT_SECONDS // 60}
    return render(request, "accounts/staff_sessions.html", context)


def dev_totp(request):
    """Developer page of the demo (only with DEV_INBOX_ENABLED, like the SMS inbox): the current code of
    each demo staff member's authenticator, whose key the demo loader set (never a real one)."""
    if not settings.DEV_INBOX_ENABLED:
        raise Http404
    rows = []
    for device in identity.demo_devices():
        code, valid_for = identity.totp_current_code(device)
        rows.append({"user": device.user, "code": code, "valid_for": valid_for})
    return render(request, "accounts/dev_totp.html", {"rows": rows})


def _safe_next(request, default: str):
    target = request.GET.get("next") or request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- staff security: authenticator app and identity re-check ------------------------------------------


@role_required(*STAFF_ROLES)
@never_cache  # shows a secret while an authenticator is being set up
@require_http_methods(["GET", "POST"])
def staff_security(request):
    """Set up (or replace) the authenticator app: start → scan the QR code → type the current code."""
    action = request.POST.get("action", "")
    code_form = forms.TotpCodeForm(request.POST if action == "confirm" else None)
    password_form = forms.PasswordForm(request.POST if action in ("replace", "begin") else None)
    recovery_form = forms.PasswordForm(request.POST if action == "recovery_codes" else None, prefix="recovery")
    if request.method == "POST":
        try:
            if action == "recovery_codes" and recovery_form.is_valid():
                return _recovery_codes_new(request, recovery_form.cleaned_data["password"])
            if _security_action(request, action, code_form, password_form):
                return redirect("accounts:staff_security")
        except DomainError as error:
            form = {"confirm": code_form, "recovery_codes": recovery_form}.get(action, password_form)
            attach_error(form, error)
    if codes := request.session.pop(FRESH_RECOVERY_CODES, None):
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "signing_in": False})
    active = identity.totp_device_of(request.user, confirmed=True)
    pending = identity.totp_device_of(request.user, confirmed=False)
    context = {
        "active": active,
        "pending": pending,
        "code_form": code_form,
        "password_form": password_form,
        "recovery_form": recovery_form,
        "recovery_codes_left": identity.recovery_codes_left(request.user),
        "can_confirm": request.user.role in CLINICAL_ROLES,
    }
    if pending is not None:
        uri = pending.config_url
        context |= {"secret": identity.totp_secret(pending), "uri": uri, "qr_svg": _qr_svg(uri)}
    return render(request, "accounts/staff_security.html", context)


def _security_action(request, action: str, code_form, password_form) -> bool:
    """Run the posted action; True when it was done (False: a form to show again)."""
    actor = Actor.of(request.user, request)
    if action in ("begin", "replace") and password_form.is_valid():
        identity.totp_enrolment_begin(user=request.user, password=password_form.cleaned_data["password"], actor=actor)
    elif action == "confirm" and code_form.is_valid():
        identity.totp_device_confirm(user=request.user, code=code_form.cleaned_data["code"], actor=actor)
        messages.success(request, _("The authenticator app is set up. Use its codes to confirm your identity."))
        if not identity.recovery_codes_left(request.user):
            codes = identity.recovery_codes_generate(user=request.user, actor=actor)
            request.session[FRESH_RECOVERY_CODES] = codes
    elif action == "cancel":
        identity.totp_enrolment_cancel(user=request.user, actor=actor)
    else:
        return False
    return True


FRESH_RECOVERY_CODES = "accounts.fresh_recovery_codes"  # shown once, by the next page


def _recovery_codes_new(request, password: str):
    """New recovery codes replace the old ones; the password is checked first (as an identity check)."""
    actor = Actor.of(request.user, request)
    identity.staff_identity_confirm(user=request.user, password=password, actor=actor)
    codes = identity.recovery_codes_generate(user=request.user, actor=actor)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "signing_in": False})


def _qr_svg(data: str) -> str:
    """The QR code as inline SVG, drawn here: the secret never goes to a third-party service."""
    svg = segno.make(data, error="m").svg_inline(scale=4, omitsize=True)
    return mark_safe(svg)  # noqa: S308 — segno's own markup, built from our data


@role_required(*CLINICAL_ROLES)
@never_cache
@require_http_methods(["GET", "POST"])
def confirm_identity(request):
    """Before each consultation: password or authenticator code, then back to ``next`` (local only)."""
    has_totp = identity.totp_device_of(request.user, confirmed=True) is not None
    method = request.POST.get("method") or request.GET.get("method") or ("totp" if has_totp else "password")
    if method not in IdentityConfirmation.Method.values or (method == "totp" and not has_totp):
        method = "password"
    form = forms.IdentityCheckForm(request.POST or None, initial={"method": method})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            confirmation = identity.staff_identity_confirm(
                user=request.user,
                password=data["password"] if method == "password" else "",
                totp_code=data["totp_code"] if method == "totp" else "",
                actor=Actor.of(request.user, request),
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            until = format_local(confirmation.valid_until, "%H:%M")
            messages.success(request, _("Identity confirmed, valid until %(time)s.") % {"time": until})
            return redirect(_safe_next(request, "web:staff_home"))
    safe_next = _safe_next(request, "")
    return render(
        request,
        "accounts/confirm_identity.html",
        {
            "form": form,
            "method": method,
            "has_totp": has_totp,
            "next": safe_next,
            "current": identity.identity_confirmed_within(request.user),
            "minutes": settings.STAFF_IDENTITY_CHECK_SECONDS // 60,
        },
    )
