"""电子病历: one medical record per consultation, kept under the visit person (就诊人), in numbered versions.

A version is written as a draft (autosaved, guarded by a revision counter), then signed (locked for good:
its content is what was signed). An amendment is a new draft copied from the last signed version and
signed again; earlier versions stay readable with their signatures. Nothing here is ever deleted:
instances and querysets have no working ``delete()``, ``refuse_deletion`` (a pre_delete receiver)
refuses the cascades the ORM would otherwise run, and on PostgreSQL and SQLite triggers refuse a DELETE and
any change to a signed version's content whatever issues it (migrations 0002 and 0004).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ihospital.core import models as core_models
from ihospital.core.errors import DomainError
from ihospital.core.ids import PublicIdModel
from ihospital.records.errors import RecordError

# The clinical content of a version, in the order the record shows it (the diagnoses come separately).
TEXT_FIELDS = (
    "chief_complaint",
    "present_illness",
    "past_history",
    "allergy_history",
    "examination_notes",
    "treatment_advice",
    "follow_up_advice",
)
CONTENT_FIELDS = (*TEXT_FIELDS, "diagnoses")
TEXT_LIMIT = 4000


class KeptModel(core_models.KeptModel):
    not_deletable = RecordError.NOT_DELETABLE

    class Meta:
        abstract = True


class MedicalRecord(KeptModel):
    consultation = models.OneToOneField(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="medical_record",
    )
    # Keyed on the person treated, not the account that booked: a parent's account books for a child.
    visit_person = models.ForeignKey(
        "accounts.VisitPerson", verbose_name=_("visit person"), on_delete=models.PROTECT, related_name="medical_records"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="records_written"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["-created_at", "-id"]
        verbose_name = _("medical record")
        verbose_name_plural = _("medical records")

    def __str__(self) -> str:
        return f"{self.visit_person_id}/{self.public_id}"


class RecordVersion(KeptModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNING = "signing", _("Being signed")  # autosaves refused while the CA signs what the doctor saw
        SIGNED = "signed", _("Signed")

    TRANSITIONS = {
        Status.SIGNING: {Status.DRAFT},
        Status.DRAFT: {Status.SIGNING},  # the signing failed (wrong PIN …): back to the draft
        Status.SIGNED: {Status.SIGNING},
    }
    OPEN = (Status.DRAFT, Status.SIGNING)

    record = models.ForeignKey(
        MedicalRecord, verbose_name=_("medical record"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every autosave: a save names the revision it started from and is refused if it moved.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    chief_complaint = models.TextField(_("chief complaint"), blank=True)
    present_illness = models.TextField(_("present illness"), blank=True)
    past_history = models.TextField(_("past history"), blank=True)
    allergy_history = models.TextField(_("allergy history"), blank=True)
    examination_notes = models.TextField(_("examination notes"), blank=True)
    # [{"code": "J06.9", "name": "急性上呼吸道感染"}], names as shown when written
    diagnoses = models.JSONField(_("diagnoses"), default=list, blank=True)
    treatment_advice = models.TextField(_("treatment advice"), blank=True)
    follow_up_advice = models.TextField(_("follow-up advice"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    saved_at = models.DateTimeField(_("saved at"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signature = models.OneToOneField(
        "signatures.Signature",
        verbose_name=_("signature"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_version",
    )
    his_filing_no = models.CharField(_("HIS filing number"), max_length=40, blank=True)
    his_filed_at = models.DateTimeField(_("filed to the HIS at"), null=True, blank=True)

    class Meta(KeptModel.Meta):
        abstract = False
        ordering = ["record", "number"]
        verbose_name = _("record version")
        verbose_name_plural = _("record versions")
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="record_version_unique_number"),
            models.UniqueConstraint(
                fields=["record"], condition=Q(status__in=["draft", "signing"]), name="record_one_draft"
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signature__isnull=False, signed_at__isnull=False),
                name="record_version_signed_has_signature",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.number} [{self.status}]"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class RecordTemplate(PublicIdModel):
    """A doctor's own record template, or one shared with a department (病历模板): text for some fields and
    diagnoses, applied to a draft in the editor. Not clinical data: a template is retired, not kept forever."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="record_templates"
    )
    department = models.ForeignKey(
        "scheduling.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_templates",
    )  # set: shared with the department's doctors
    name = models.CharField(_("name"), max_length=60)
    content = models.JSONField(_("content"), default=dict)  # {field: text, "diagnoses": [codes]}
    created_at = models.DateTimeField(_("created at"))
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("record template")
        verbose_name_plural = _("record templates")

    def __str__(self) -> str:
        return self.name


class Phrase(PublicIdModel):
    """A doctor's common phrase (常用语), inserted into a field of the draft with one click."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="record_phrases"
    )
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created at"))
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["text", "id"]
        verbose_name = _("common phrase")
        verbose_name_plural = _("common phrases")
        constraints = [models.UniqueConstraint(fields=["owner", "text"], name="record_phrase_unique_per_owner")]

    def __str__(self) -> str:
        return self.text


def refuse_deletion(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_delete receiver for every clinical model here: a record is kept, never deleted (SPEC §6)."""
    raise DomainError(RecordError.NOT_DELETABLE)
