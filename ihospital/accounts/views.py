"""Patient pages (sign in with an SMS code, visit persons) and the staff sign-in page."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ihospital.accounts import forms, idcard, selectors, services
from ihospital.accounts.models import STAFF_ROLES, Role
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def role_required(role: str, login_url: str):
    """A page for one role; anyone else is sent to that role's sign-in page, coming back here after."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated or request.user.role != role:
                return redirect_to_login(request.get_full_path(), resolve_url(login_url))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


patient_required = role_required(Role.PATIENT, settings.PATIENT_LOGIN_URL)
doctor_required = role_required(Role.DOCTOR, "accounts:staff_sign_in")


@require_http_methods(["GET", "POST"])
def patient_sign_in(request):
    """One page, two steps: send the code, then enter it. The phone number is kept between them."""
    actor = Actor.of(None, request)
    code_sent = None
    form = forms.CodeForm(request.POST or None)
    form.fields["code"].required = False
    if request.method == "POST" and form.is_valid():
        phone, code = form.cleaned_data["phone"], form.cleaned_data.get("code", "")
        try:
            if request.POST.get("step") == "send":
                code_sent = services.sms_code_send(phone=phone, actor=actor)
            else:
                user = services.patient_sign_in(phone=phone, code=code, actor=actor)
                login(request, user, backend=MODEL_BACKEND)
                return redirect(_safe_next(request, "accounts:patient_home"))
        except DomainError as error:
            forms.attach_error(form, error)
    return render(
        request,
        "accounts/patient_sign_in.html",
        {"form": form, "code_sent": code_sent, "show_code": bool(code_sent or form["code"].value())},
    )


@require_POST
def sign_out(request):
    logout(request)
    return redirect("web:home")


@patient_required
def patient_home(request):
    persons = selectors.visit_person_list(account=request.user, actor=Actor.of(request.user, request))
    return render(
        request, "accounts/patient_home.html", {"persons": persons, "limit": settings.VISIT_PERSONS_PER_ACCOUNT}
    )


@patient_required
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
            forms.attach_error(form, error)
        else:
            messages.success(request, _("Visit person added."))
            return redirect("accounts:patient_home")
    return render(request, "accounts/visit_person_form.html", {"form": form, "person": None})


@patient_required
@require_http_methods(["GET", "POST"])
def visit_person_edit(request, person_id):
    actor = Actor.of(request.user, request)
    try:
        person = selectors.access_visit_person(user=request.user, public_id=person_id, actor=actor)
    except DomainError:
        return render(request, "web/not_found.html", status=404)
    initial = {name: getattr(person, name) for name in services.EDITABLE_FIELDS}
    form = forms.VisitPersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_person_update(person=person, changes=form.cleaned_data, actor=actor)
        except DomainError as error:
            forms.attach_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:patient_home")
    return render(
        request,
        "accounts/visit_person_form.html",
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
            forms.attach_error(form, error)
        else:
            login(request, user, backend=MODEL_BACKEND)
            return redirect(_safe_next(request, "web:staff_home"))
    return render(request, "accounts/staff_sign_in.html", {"form": form})


def _safe_next(request, default: str):
    target = request.GET.get("next") or request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default
