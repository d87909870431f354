"""Certificates, the credentials that sign under them, and signatures (docs/signatures.md).

Nothing here is ever deleted: a signature is evidence kept as long as the document it signs (15 years for
records), and so is the certificate that checks it (``on_delete=PROTECT``; the admin is read-only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ihospital.core.ids import PublicIdModel


class Algorithm(models.TextChoices):
    ECDSA_P256_SHA256 = "ecdsa-p256-sha256", _("ECDSA P-256 with SHA-256")
    SM2_SM3 = "sm2-sm3", _("SM2 with SM3")


class Certificate(PublicIdModel):
    """An X.509 certificate: a CA's (a trust anchor when self-signed and trusted), the hospital seal's or
    a staff member's. The PEM is the truth; the other fields are read from it for queries."""

    class Kind(models.TextChoices):
        AUTHORITY = "authority", _("Certificate authority")
        SEAL = "seal", _("Hospital seal")
        PERSONAL = "personal", _("Personal")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    algorithm = models.CharField(_("algorithm"), max_length=20, choices=Algorithm.choices)
    serial = models.CharField(_("serial number"), max_length=40)
    subject = models.CharField(_("subject"), max_length=300)
    issuer = models.CharField(_("issuer"), max_length=300)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    pem = models.TextField(_("certificate (PEM)"))
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    trusted = models.BooleanField(_("trust anchor"), default=False)  # a root this hospital trusts
    issued_by = models.ForeignKey(
        "self", verbose_name=_("issued by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["issuer", "serial"], name="certificate_issuer_serial")]

    def __str__(self) -> str:
        return f"{self.subject} [{self.serial}]"


class SigningCredential(models.Model):
    """A certificate together with the key that signs under it, and its holder's PIN state.

    ``holder`` is a doctor or pharmacist; None for the hospital seal. ``custody`` names the CA holding the
    key (``builtin`` for keys issued here or imported; a remote CA's name otherwise); ``key_handle`` is what
    that CA needs to find it, opaque here (the built-in CA: the PIN-encrypted key itself).
    """

    certificate = models.OneToOneField(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="credential"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_credentials",
    )
    custody = models.CharField(_("key held by"), max_length=40, default="builtin")
    key_handle = models.TextField(_("key handle"))
    pin_set_at = models.DateTimeField(_("PIN set at"), null=True, blank=True)
    pin_failures = models.PositiveSmallIntegerField(_("wrong PINs in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signing credential")
        verbose_name_plural = _("signing credentials")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.certificate)


class Signature(PublicIdModel):
    """One signed version of one document: what was signed (its canonical bytes), by whom, under which
    certificate, when, the digest, and the signature (DER). Keyed by document type + id + version."""

    document_type = models.CharField(_("document type"), max_length=50)
    document_id = models.UUIDField(_("document id"))
    version = models.PositiveIntegerField(_("version"))
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
    )
    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="signatures"
    )
    algorithm = models.CharField(_("algorithm"), max_length=20, choices=Algorithm.choices)
    document = models.TextField(_("signed document (canonical JSON)"))
    digest = models.CharField(_("digest"), max_length=64)
    value = models.BinaryField(_("signature (DER)"))
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_id", "version"], name="signature_one_per_document_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.document_id} v{self.version}"
