"""Record pages: the doctor's editor beside the video (JSON endpoints for records/editor.js), the
patient's "my records" with a PDF per signed version, and the public page a PDF's QR code leads to.

Thin: authenticate (role) → access_* (authorises and audits the read) → service → render/JSON."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor
from ihospital.consultations.selectors import access_consultation_for_doctor
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.web import role_required
from ihospital.records import icd, selectors, services
from ihospital.records.models import TEXT_FIELDS, MedicalRecord, RecordVersion
from ihospital.records.pdf import record_pdf
from ihospital.signatures.selectors import access_signature
from ihospital.signatures.services import signature_check


def _actor(request) -> Actor:
    return Actor.of(request.user, request)


def _error(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


def _version_json(version: RecordVersion) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(version, name) for name in TEXT_FIELDS}
    data.update(
        record=str(version.record.public_id),
        number=version.number,
        status=version.status,
        revision=version.revision,
        diagnoses=version.diagnoses,
        saved_at=version.saved_at.isoformat(),
    )
    return data


def _template_json(template: Any) -> dict[str, Any]:
    content = dict(template.content)
    found = [icd.lookup(code) for code in content.get("diagnoses", [])]
    content["diagnoses"] = [{"code": d.code, "name": d.name} for d in found if d is not None]
    return {
        "id": str(template.public_id),
        "name": template.name,
        "shared": template.department_id is not None,
        "content": content,
    }


def _editor_state(medical_record: MedicalRecord, version: RecordVersion) -> dict[str, Any]:
    doctor = medical_record.doctor
    department_id = medical_record.consultation.appointment.schedule.department_id
    return {
        "templates": [_template_json(t) for t in selectors.templates_for(doctor=doctor, department_id=department_id)],
        "phrases": [p.text for p in selectors.phrases_of(doctor=doctor)],
        "version": _version_json(version),
        "signed": [
            {"number": v.number, "signed_at": v.signed_at.isoformat() if v.signed_at else ""}
            for v in selectors.signed_versions(medical_record)
        ],
    }


def _body(request) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError(CoreError.INVALID_REQUEST)
    return data


def _content(data: dict[str, Any]) -> services.RecordContent:
    fields = {name: str(data.get(name) or "") for name in TEXT_FIELDS}
    codes = data.get("diagnoses") or []
    if not isinstance(codes, list):
        codes = []
    return services.RecordContent(**fields, diagnoses=[str(c) for c in codes])


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _own_record(request, record_id) -> MedicalRecord:
    medical_record = selectors.access_record(user=request.user, public_id=record_id, actor=_actor(request))
    if medical_record.doctor_id != request.user.pk:
        raise DomainError(CoreError.NOT_FOUND)
    return medical_record


# --- the doctor's editor ---------------------------------------------------------------------------


@role_required(Role.DOCTOR)
@require_POST
def record_open(request, consultation_id):
    """Open (creating on first use) the consultation's record; answers the editor's state."""
    actor = _actor(request)
    consultation = access_consultation_for_doctor(user=request.user, public_id=consultation_id, actor=actor)
    try:
        version = services.record_open(doctor=request.user, consultation=consultation, actor=actor)
    except DomainError as error:
        return _error(error)
    return JsonResponse(_editor_state(version.record, version))


@role_required(Role.DOCTOR)
@require_POST
def draft_save(request, record_id):
    medical_record = _own_record(request, record_id)
    data = _body(request)
    version = services.current_version(medical_record)
    try:
        version = services.record_draft_save(
            doctor=request.user,
            version=version,
            content=_content(data),
            revision=_int(data.get("revision")),
            actor=_actor(request),
        )
    except DomainError as error:
        return _error(error)
    return JsonResponse({"version": _version_json(version)})


@role_required(Role.DOCTOR)
@require_POST
def sign(request, record_id):
    medical_record = _own_record(request, record_id)
    data = _body(request)
    version = services.current_version(medical_record)
    try:
        version = services.record_sign(
            doctor=request.user,
            version=version,
            revision=_int(data.get("revision")),
            pin=str(data.get("pin") or ""),
            actor=_actor(request),
        )
    except DomainError as error:
        return _error(error)
    return JsonResponse(_editor_state(medical_record, version))


@role_required(Role.DOCTOR)
@require_POST
def amend(request, record_id):
    medical_record = _own_record(request, record_id)
    try:
        version = services.record_amend(doctor=request.user, medical_record=medical_record, actor=_actor(request))
    except DomainError as error:
        return _error(error)
    return JsonResponse(_editor_state(medical_record, version))


@role_required(Role.DOCTOR)
@require_POST
def template_create(request, record_id):
    """Save the editor's current fields as a template, the doctor's own or (``shared``) for the
    consultation's department."""
    medical_record = _own_record(request, record_id)
    data = _body(request)
    department = medical_record.consultation.appointment.schedule.department if data.get("shared") else None
    try:
        template = services.template_create(
            doctor=request.user,
            name=str(data.get("name") or ""),
            content=_content(data),
            department=department,
            actor=_actor(request),
        )
    except DomainError as error:
        return _error(error)
    return JsonResponse({"template": _template_json(template)}, status=201)


@role_required(Role.DOCTOR)
@require_POST
def phrase_create(request):
    data = _body(request)
    try:
        phrase = services.phrase_create(doctor=request.user, text=str(data.get("text") or ""), actor=_actor(request))
    except DomainError as error:
        return _error(error)
    return JsonResponse({"text": phrase.text}, status=201)


@role_required(Role.DOCTOR)
@require_GET
def icd_search(request):
    found = icd.search(request.GET.get("q", "")[:50], limit=20)
    return JsonResponse({"results": [d.as_json() for d in found]})


# --- retiring templates and phrases ----------------------------------------------------------------


def _template_row(user, template) -> dict[str, Any]:
    content = template.content
    return {
        "template": template,
        "fields": [str(RecordVersion._meta.get_field(name).verbose_name) for name in TEXT_FIELDS if content.get(name)],
        "diagnoses": content.get("diagnoses", []),
        "retirable": services.may_retire_template(user=user, template=template),
    }


@role_required(Role.DOCTOR, Role.HOSPITAL_ADMIN)
@require_GET
def templates_manage(request):
    """Record templates and common phrases in use, each retirable by whoever may (see the services)."""
    user = request.user
    rows = [_template_row(user, t) for t in selectors.templates_to_manage(user=user)]
    phrases = selectors.phrases_of(doctor=user) if user.role == Role.DOCTOR else None
    return render(request, "records/manage_templates.html", {"rows": rows, "phrases": phrases})


@role_required(Role.DOCTOR, Role.HOSPITAL_ADMIN)
@require_POST
def template_retire(request, template_id):
    template = selectors.access_template(user=request.user, public_id=template_id)
    try:
        if services.template_retire(user=request.user, template=template, actor=_actor(request)):
            done = _("Template “%(name)s” retired: it is no longer offered.") % {"name": template.name}
            messages.success(request, done)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("records:templates_manage")


@role_required(Role.DOCTOR)
@require_POST
def phrase_retire(request, phrase_id):
    phrase = selectors.access_phrase(doctor=request.user, public_id=phrase_id)
    if services.phrase_retire(doctor=request.user, phrase=phrase, actor=_actor(request)):
        messages.success(request, _("Phrase “%(text)s” retired: it is no longer offered.") % {"text": phrase.text})
    return redirect("records:templates_manage")


# --- the patient's records ---------------------------------------------------------------------------


@role_required(Role.PATIENT)
def my_records(request):
    rows = selectors.records_of_patient(user=request.user, actor=_actor(request))
    return render(request, "records/my_records.html", {"rows": rows})


@role_required(Role.PATIENT, Role.DOCTOR)
def record_detail(request, record_id):
    medical_record = selectors.access_record(user=request.user, public_id=record_id, actor=_actor(request))
    versions = list(selectors.signed_versions(medical_record))
    base = "web/patient_base.html" if request.user.role == Role.PATIENT else "web/staff_base.html"
    return render(
        request,
        "records/record_detail.html",
        {
            "base_template": base,
            "record": medical_record,
            "versions": versions,
            "latest": versions[0] if versions else None,
        },
    )


@role_required(Role.PATIENT, Role.DOCTOR)
def record_pdf_download(request, record_id, number):
    medical_record = selectors.access_record(user=request.user, public_id=record_id, actor=_actor(request))
    version = selectors.access_version(medical_record=medical_record, number=number, signed_only=True)
    assert version.signature is not None
    verify = request.build_absolute_uri(reverse("records:verify", args=[version.signature.public_id]))
    data = record_pdf(version=version, verify_url=verify, hospital=settings.CA_ORGANIZATION)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="record-{medical_record.public_id}-v{number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- anyone: the QR code's page ---------------------------------------------------------------------


def verify(request, signature_id):
    """Whether a signature on a record is valid: the signer, certificate, time and digest — never the
    record itself (the link is printed on a PDF the patient may hand to anyone)."""
    try:
        signature = access_signature(signature_id=signature_id)
    except DomainError:
        raise Http404 from None
    if signature.document_type != services.DOCUMENT_TYPE:
        raise Http404
    result = signature_check(signature=signature, actor=Actor.of(request.user, request))
    return render(
        request, "records/verify.html", {"signature": signature, "result": result, "title": _("Signature check")}
    )
