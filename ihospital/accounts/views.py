"""Patient pages (sign in with an SMS code, visit persons); staff pages: sign-in, security (authenticator
app) and the identity re-check before a consultation."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts import forms, idcard, identity, selectors, services
from ihospital.accounts.errors import AccountError
from ihospital.accounts.models import CLINICAL_ROLES, STAFF_ROLES, IdentityConfirmation, Role
from ihospital.accounts.phone import mask_phone, normalize_phone
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import format_local
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


@require_http_methods(["GET", "POST"])
def staff_sign_in(request):
    form = forms.StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_sign_in(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                actor=Actor.of(None, request),
                roles=STAFF_ROLES,
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            login(request, user, backend=MODEL_BACKEND)
            return redirect(_safe_next(request, "web:staff_home"))
    return render(request, "accounts/staff_sign_in.html", {"form": form})


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
    password_form = forms.PasswordForm(request.POST if action == "replace" else None)
    if request.method == "POST":
        try:
            if _security_action(request, action, code_form, password_form):
                return redirect("accounts:staff_security")
        except DomainError as error:
            attach_error(password_form if action in ("replace", "begin") else code_form, error)
    active = identity.totp_device_of(request.user, confirmed=True)
    pending = identity.totp_device_of(request.user, confirmed=False)
    context = {
        "active": active,
        "pending": pending,
        "code_form": code_form,
        "password_form": password_form,
        "can_confirm": request.user.role in CLINICAL_ROLES,
    }
    if pending is not None:
        uri = pending.config_url
        context |= {"secret": identity.totp_secret(pending), "uri": uri, "qr_svg": _qr_svg(uri)}
    return render(request, "accounts/staff_security.html", context)


def _security_action(request, action: str, code_form, password_form) -> bool:
    """Run the posted action; True when it was done (False: a form to show again)."""
    actor = Actor.of(request.user, request)
    if action == "begin":
        identity.totp_enrolment_begin(user=request.user, actor=actor)
    elif action == "replace" and password_form.is_valid():
        identity.totp_enrolment_begin(user=request.user, password=password_form.cleaned_data["password"], actor=actor)
    elif action == "confirm" and code_form.is_valid():
        identity.totp_device_confirm(user=request.user, code=code_form.cleaned_data["code"], actor=actor)
        messages.success(request, _("The authenticator app is set up. Use its codes to confirm your identity."))
    elif action == "cancel":
        identity.totp_enrolment_cancel(user=request.user, actor=actor)
    else:
        return False
    return True


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
