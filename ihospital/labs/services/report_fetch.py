"""Fetching from the HIS what it did not push: an order's report once the HIS says it is out, a visit
person's in-person reports, and the key images of an exam report. Every HIS call is made here, outside
any transaction; what it brings is applied by ``results`` (once, by report number).
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction

from ihospital.accounts.models import VisitPerson
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.files.dicom import dicom_check, dicom_render
from ihospital.core.files.stored import removed_if_refused
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.integrations import his
from ihospital.integrations.his.base import ExamImageQuery, ExamOrderQuery, HisError, PatientReportsQuery
from ihospital.labs.models import KeyImage, LabOrder, Report
from ihospital.labs.services.results import Applied, HisReport, report_apply, report_apply_in_person

logger = logging.getLogger("ihospital.labs.results")
HIS = Actor.system("his")
WAITING = (LabOrder.Status.PAID, LabOrder.Status.SCHEDULED, LabOrder.Status.PERFORMED)


def _fetch(kind: str, request_no: str) -> HisReport:
    query = ExamOrderQuery(request_no=request_no)
    return his.client().lab_results(query) if kind == Report.Kind.LAB else his.client().exam_report(query)


def report_fetch(*, order: LabOrder) -> Applied | None:
    """The order's report if the HIS has it out (None while it is not). Raises HisError when the HIS
    cannot be asked now, DomainError when what it gives is refused (see ``report_apply``)."""
    status = his.client().exam_order_status(ExamOrderQuery(request_no=order.his_request_no))
    if status.status != "reported":
        return None
    return report_apply(report=_fetch(order.kind, order.his_request_no), via=Report.Via.FETCH)


def reports_poll_due(*, limit: int = 50) -> int:
    """Ask the HIS about waiting orders placed more than a few minutes ago, oldest first (what the push
    missed); how many reports were applied. An HIS that fails stops the round (the next one tries again)."""
    since = now() - timedelta(seconds=settings.LABS_REPORT_POLL_AFTER_SECONDS)
    orders = LabOrder.objects.filter(status__in=WAITING, report__isnull=True, his_placed_at__lt=since).exclude(
        his_request_no=""
    )
    applied = 0
    for order in orders.select_related("visit_person").order_by("his_placed_at")[:limit]:
        try:
            outcome = report_fetch(order=order)
        except HisError as error:
            logger.warning("report poll stopped at %s: %s", order.his_request_no, error.code)
            break
        except DomainError:
            continue  # refused: logged and audited by report_apply
        applied += bool(outcome and outcome.created)
    return applied


def _sync_key(person: VisitPerson) -> str:
    return f"labs:reports-sync:{person.public_id}"


def reports_sync_due(*, person: VisitPerson) -> bool:
    """Whether the visit person's HIS report list is worth reading again (linked, not read lately)."""
    return bool(person.his_patient_id) and cache.get(_sync_key(person)) is None


def reports_sync_soon(*, person: VisitPerson) -> None:
    """Read the visit person's HIS report list in the background when it is due (a page asks: the HIS
    call is not made while the page waits)."""
    if person.his_patient_id and cache.add(_sync_key(person), 1, timeout=settings.LABS_REPORT_SYNC_SECONDS):
        from ihospital.labs import tasks  # the task module imports the services

        tasks.reports_sync(person.pk)  # claimed here: one task per interval, however many pages ask


def reports_sync(*, person: VisitPerson, force: bool = False) -> int:
    """Bring the visit person's reports from the HIS report list (in-person visits, and online orders the
    push and poll missed); how many were new. At most once per LABS_REPORT_SYNC_SECONDS unless ``force``.
    Raises HisError when the HIS cannot be asked now."""
    if not person.his_patient_id:
        return 0
    key = _sync_key(person)
    if not force and not cache.add(key, 1, timeout=settings.LABS_REPORT_SYNC_SECONDS):
        return 0
    listed = his.client().patient_reports(PatientReportsQuery(patient_id=person.his_patient_id)).reports
    known = set(
        Report.objects.filter(his_report_no__in=[s.report_no for s in listed]).values_list("his_report_no", flat=True)
    )
    ours = dict(
        LabOrder.objects.filter(his_request_no__in=[s.request_no for s in listed]).values_list("his_request_no", "pk")
    )
    new = 0
    for summary in listed:
        if summary.report_no in known:
            continue
        try:
            report = _fetch(summary.kind, summary.request_no)
            if summary.request_no in ours:
                new += report_apply(report=report, via=Report.Via.FETCH).created
            elif summary.origin == "in_person":
                new += report_apply_in_person(report=report, person=person).created
        except DomainError:
            continue  # refused: logged and audited
    return new


def key_images_fetch(*, report_id: int) -> int:
    """Fetch, check and render the report's pending key images; how many are still pending (the HIS
    could not be asked: try again later). A refused file (dicom.*) marks its image failed, logged and
    audited; the others go on."""
    pending = 0
    for image in KeyImage.objects.select_related("report").filter(report_id=report_id, status=KeyImage.Status.PENDING):
        try:
            answer = his.client().exam_image(
                ExamImageQuery(report_no=image.report.his_report_no, image_uid=image.image_uid)
            )
        except HisError as error:
            if not error.permanent:
                pending += 1
                continue
            _image_failed(image, error.code)
            continue
        try:
            content = base64.b64decode(answer.content_base64, validate=True)
            dicom_check(content, max_bytes=settings.LABS_DICOM_MAX_BYTES)
            rendered = dicom_render(content, max_bytes=settings.LABS_DICOM_MAX_BYTES, image_format="PNG")
        except binascii.Error:
            _image_failed(image, "dicom.malformed")
            continue
        except DomainError as refusal:
            _image_failed(image, refusal.code)
            continue
        _image_store(image, content, rendered)
    return pending


def _image_store(image: KeyImage, content: bytes, rendered: bytes) -> None:
    image.dicom.save(f"{image.position}-{image.image_uid[-24:]}.dcm", ContentFile(content), save=False)
    image.rendered.save(f"{image.position}-{image.image_uid[-24:]}.png", ContentFile(rendered), save=False)
    with removed_if_refused(image.dicom, image.rendered), transaction.atomic():
        transition(
            KeyImage,
            pk=image.pk,
            to=KeyImage.Status.STORED,
            transitions=KeyImage.TRANSITIONS,
            dicom=image.dicom.name,
            rendered=image.rendered.name,
            stored_at=now(),
        )
        record(actor=HIS, action="report.image_stored", target_type="report", target_id=str(image.report.public_id))


@transaction.atomic
def _image_failed(image: KeyImage, code: str) -> None:
    logger.warning("key image %s of %s refused: %s", image.image_uid, image.report.his_report_no, code)
    transition(KeyImage, pk=image.pk, to=KeyImage.Status.FAILED, transitions=KeyImage.TRANSITIONS, error_code=code[:40])
    record(
        actor=HIS,
        action="report.image_refused",
        target_type="report",
        target_id=str(image.report.public_id),
        details={"image_uid": image.image_uid, "code": code},
    )
