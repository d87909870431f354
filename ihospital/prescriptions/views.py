"""Prescription pages: the doctor's writer (in the consulting room and after the visit, htmx partials), the
pharmacists' live review queue and review page, and the administrators' review times.

Thin: authenticate (role) → access_* (authorises and audits the read) → service → render. A service's
refusal is shown in the partial it came from (htmx swaps only successful answers), with its code.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.consultations.models import Consultation
from ihospital.consultations.selectors import access_consultation_for_doctor
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.web import role_required
from ihospital.prescriptions import rules, selectors, services
from ihospital.prescriptions.models import Prescription, PrescriptionVersion
from ihospital.prescriptions.selectors import catalogue, checks, review
from ihospital.signatures.services import signature_check


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user, request)


def _int(value: Any, default: int = -1) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _decimal_or_text(value: str) -> Decimal | str:
    """A number as entered; anything else is passed on as text, which the checks refuse with their code."""
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return value
    return number if number.is_finite() else value


def _item(data: Any) -> rules.Item:
    quantity = str(data.get("quantity") or "").strip()
    return rules.Item(
        drug_code=str(data.get("drug_code") or "")[:32],
        dose=_decimal_or_text(str(data.get("dose") or "")),  # type: ignore[arg-type]  # text: refused by the checks
        dose_unit=str(data.get("dose_unit") or "")[:10],
        frequency=str(data.get("frequency") or "")[:10],
        route=str(data.get("route") or "")[:10],
        days=_int(data.get("days")),
        quantity=_int(quantity) if quantity else None,
    )


# --- the doctor's writer -----------------------------------------------------------------------------


def _own(request: HttpRequest, prescription_id: Any) -> Prescription:
    prescription = selectors.access_prescription(user=request.user, public_id=prescription_id, actor=_actor(request))
    if prescription.doctor_id != request.user.pk:
        raise DomainError(CoreError.NOT_FOUND)
    return prescription


def _writer_context(consultation: Consultation, version: PrescriptionVersion | None, **extra: Any) -> dict:
    frequencies, routes = review.labels()
    context: dict[str, Any] = {
        "consultation": consultation,
        "version": version,
        "prescription": version.prescription if version else None,
        "earlier": review.prescriptions_of_consultation(consultation.pk),
        "frequencies": frequencies,
        "routes": routes,
        **extra,
    }
    if version is not None:
        context["items"] = _labelled(list(version.items.order_by("position")), frequencies, routes)
        context["findings"] = review.findings_shown(version.findings, version.warn_reasons)
        context["blocked"] = any(f["severity"] == "block" for f in version.findings)
    return context


def _labelled(items: list[Any], frequencies: dict[str, str], routes: dict[str, str]) -> list[Any]:
    """Items (rows or signed snapshots) with the names of their frequency and route in the reader's language."""
    for item in items:
        get = item.get if isinstance(item, dict) else lambda name, item=item: getattr(item, name)
        labels = {"frequency_label": frequencies.get(get("frequency"), get("frequency")),
                  "route_label": routes.get(get("route"), get("route"))}  # fmt: skip
        if isinstance(item, dict):
            item.update(labels)
        else:
            vars(item).update(labels)
    return items


def _writer(request: HttpRequest, consultation: Consultation, version: PrescriptionVersion | None, **extra: Any):
    return render(request, "prescriptions/_writer.html", _writer_context(consultation, version, **extra))


@role_required(Role.DOCTOR)
@require_GET
def write(request, consultation_id):
    """The consultation's prescription: the writer (``?embed=1``: the partial for the consulting room)."""
    consultation = access_consultation_for_doctor(user=request.user, public_id=consultation_id, actor=_actor(request))
    current = review.prescriptions_of_consultation(consultation.pk).filter(status__in=Prescription.OPEN).first()
    version = selectors.current_version(current) if current else None
    context = _writer_context(consultation, version)
    if request.GET.get("embed"):
        return render(request, "prescriptions/_writer.html", context)
    return render(request, "prescriptions/write.html", context)


@role_required(Role.DOCTOR)
@require_POST
def open_draft(request, consultation_id):
    actor = _actor(request)
    consultation = access_consultation_for_doctor(user=request.user, public_id=consultation_id, actor=actor)
    try:
        version = services.prescription_open(doctor=request.user, consultation=consultation, actor=actor)
    except DomainError as error:
        return _writer(request, consultation, None, error=error)
    return _writer(request, consultation, version)


def _edit(request, prescription_id, run) -> HttpResponse:
    """Apply one edit of the doctor's draft and answer the writer, with the refusal shown if any."""
    prescription = _own(request, prescription_id)
    version = selectors.current_version(prescription)
    try:
        version = run(version, _int(request.POST.get("revision")))
    except DomainError as error:
        version = selectors.current_version(prescription)
        return _writer(request, prescription.consultation, version, error=error)
    return _writer(request, prescription.consultation, version)


@role_required(Role.DOCTOR)
@require_POST
def item_add(request, prescription_id):
    item, actor = _item(request.POST), _actor(request)
    return _edit(
        request,
        prescription_id,
        lambda version, revision: services.prescription_item_add(
            doctor=request.user, version=version, item=item, revision=revision, actor=actor
        ),
    )


@role_required(Role.DOCTOR)
@require_POST
def item_change(request, prescription_id, position):
    item, actor = _item(request.POST), _actor(request)
    return _edit(
        request,
        prescription_id,
        lambda version, revision: services.prescription_item_change(
            doctor=request.user, version=version, position=position, item=item, revision=revision, actor=actor
        ),
    )


@role_required(Role.DOCTOR)
@require_POST
def item_remove(request, prescription_id, position):
    actor = _actor(request)
    return _edit(
        request,
        prescription_id,
        lambda version, revision: services.prescription_item_remove(
            doctor=request.user, version=version, position=position, revision=revision, actor=actor
        ),
    )


def _facts(data: Any) -> services.Facts:
    weight = str(data.get("weight_kg") or "").strip()
    parsed = _decimal_or_text(weight) if weight else None
    return services.Facts(
        weight_kg=parsed if isinstance(parsed, Decimal) else (Decimal(-1) if weight else None),
        guardian_present=bool(data.get("guardian_present")),
        long_term=bool(data.get("long_term")),
        pregnant=bool(data.get("pregnant")),
        lactating=bool(data.get("lactating")),
    )


@role_required(Role.DOCTOR)
@require_POST
def facts(request, prescription_id):
    values, actor = _facts(request.POST), _actor(request)
    return _edit(
        request,
        prescription_id,
        lambda version, revision: services.prescription_facts_set(
            doctor=request.user, version=version, facts=values, revision=revision, actor=actor
        ),
    )


@role_required(Role.DOCTOR)
@require_POST
def submit(request, prescription_id):
    reasons = {key[len("reason:") :]: value for key, value in request.POST.items() if key.startswith("reason:")}
    actor, pin = _actor(request), str(request.POST.get("pin") or "")
    return _edit(
        request,
        prescription_id,
        lambda version, revision: services.prescription_submit(
            doctor=request.user, version=version, revision=revision, reasons=reasons, pin=pin, actor=actor
        ),
    )


@role_required(Role.DOCTOR)
@require_POST
def revise(request, prescription_id):
    prescription = _own(request, prescription_id)
    try:
        version = services.prescription_revise(doctor=request.user, prescription=prescription, actor=_actor(request))
    except DomainError as error:
        return _writer(request, prescription.consultation, selectors.current_version(prescription), error=error)
    return _writer(request, prescription.consultation, version)


@role_required(Role.DOCTOR)
@require_GET
def check(request, prescription_id):
    """The rule checks of the draft as it is now (an htmx partial; nothing stored). The check's own time is
    sent as ``Server-Timing: rules;dur=<ms>`` (bench/prescriptions.py --http reads it)."""
    prescription = _own(request, prescription_id)
    version = selectors.current_version(prescription)  # its items prefetched
    version.prescription = prescription  # read with its visit person by access_prescription
    error, findings = None, []
    started = time.perf_counter()
    try:
        result = checks.check_now(version)
    except DomainError as refused:
        error, result = refused, None
    if result is not None:
        findings = review.findings_shown([f.as_dict() for f in result.findings], version.warn_reasons)
    took_ms = (time.perf_counter() - started) * 1000
    context = {"findings": findings, "check_error": error, "live": True}
    response = render(request, "prescriptions/_findings.html", context)
    response["Server-Timing"] = f"rules;dur={took_ms:.3f}"
    return response


@role_required(Role.DOCTOR)
@require_GET
def drug_search(request):
    """Catalogue search results (an htmx partial): name, pinyin initials or code; stock shown."""
    query = request.GET.get("q", "")[:40]
    error, drugs = None, []
    try:
        drugs = catalogue.drug_search(query)
    except DomainError as refused:
        error = refused
    rows = [(drug, catalogue.stock_total(drug)) for drug in drugs]
    context = {"rows": rows, "query": query, "error": error, "prescription_id": request.GET.get("for", "")}
    return render(request, "prescriptions/_drug_results.html", context)


@role_required(Role.DOCTOR)
@require_GET
def item_form(request, prescription_id):
    """The add-item form for one drug of the catalogue (an htmx partial)."""
    prescription = _own(request, prescription_id)
    version = selectors.current_version(prescription)
    try:
        options = review.item_options(catalogue.drug_get(request.GET.get("drug", "")))
    except DomainError as error:
        return render(request, "prescriptions/_item_form.html", {"error": error})
    context = {"options": options, "prescription": prescription, "version": version}
    return render(request, "prescriptions/_item_form.html", context)


# --- reading a prescription (doctor, pharmacist) and the review ------------------------------------


def _detail(request: HttpRequest, prescription: Prescription, **extra: Any) -> HttpResponse:
    versions = list(selectors.versions_of(prescription))
    current = versions[0]
    frequencies, routes = review.labels()
    shown = [
        {
            "version": v,
            "items": _labelled([dict(i) for i in v.items_snapshot] or list(v.items.all()), frequencies, routes),
            "findings": review.findings_shown(v.findings, v.warn_reasons),
            "doctor_check": signature_check(signature=v.doctor_signature, actor=_actor(request))
            if v.doctor_signature
            else None,
            "pharmacist_check": signature_check(signature=v.pharmacist_signature, actor=_actor(request))
            if v.pharmacist_signature
            else None,
        }
        for v in versions
    ]
    if request.user.role == Role.PHARMACIST:
        review.record_read_for_review(version=current, actor=_actor(request))
    context = {
        "prescription": prescription,
        "person": prescription.visit_person,
        "current": current,
        "record_version": current.record_version,
        "versions": shown,
        "frequencies": frequencies,
        "routes": routes,
        "reject_reasons": PrescriptionVersion.RejectReason.choices,
        "may_review": request.user.role == Role.PHARMACIST and current.status == PrescriptionVersion.Status.SUBMITTED,
        **extra,
    }
    return render(request, "prescriptions/detail.html", context)


@role_required(Role.DOCTOR, Role.PHARMACIST)
@require_GET
def detail(request, prescription_id):
    """Every version with its items, findings, reasons and signatures; for a pharmacist, the review forms."""
    prescription = selectors.access_prescription(user=request.user, public_id=prescription_id, actor=_actor(request))
    return _detail(request, prescription)


@role_required(Role.PHARMACIST)
@require_POST
def approve(request, prescription_id):
    actor = _actor(request)
    prescription = selectors.access_prescription(user=request.user, public_id=prescription_id, actor=actor)
    version = selectors.current_version(prescription)
    try:
        services.prescription_approve(
            pharmacist=request.user, version=version, pin=str(request.POST.get("pin") or ""), actor=actor
        )
    except DomainError as error:
        return _detail(request, prescription, error=error)
    return redirect("prescriptions:review_queue")


@role_required(Role.PHARMACIST)
@require_POST
def reject(request, prescription_id):
    actor = _actor(request)
    prescription = selectors.access_prescription(user=request.user, public_id=prescription_id, actor=actor)
    version = selectors.current_version(prescription)
    try:
        services.prescription_reject(
            pharmacist=request.user,
            version=version,
            reason=str(request.POST.get("reason") or ""),
            comment=str(request.POST.get("comment") or ""),
            actor=actor,
        )
    except DomainError as error:
        return _detail(request, prescription, error=error)
    return redirect("prescriptions:review_queue")


@role_required(Role.PHARMACIST)
@require_GET
def review_queue(request):
    return render(request, "prescriptions/review_queue.html", {"queue": list(review.review_queue())})


@role_required(Role.PHARMACIST)
@require_GET
def review_queue_rows(request):
    return render(request, "prescriptions/_review_rows.html", {"queue": list(review.review_queue())})


@role_required(Role.HOSPITAL_ADMIN)
@require_GET
def review_times(request):
    days = min(max(_int(request.GET.get("days"), 30), 1), 365)
    return render(request, "prescriptions/review_times.html", {"times": review.review_times(days=days)})
