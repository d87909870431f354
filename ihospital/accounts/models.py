from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ihospital.core import crypto
from ihospital.core.fields import BlindIndexField, EncryptedField, EncryptedManager, EncryptedQuerySet
from ihospital.core.ids import PublicIdModel


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    PHARMACIST = "pharmacist", _("Pharmacist")
    NURSE = "nurse", _("Nurse")
    HOSPITAL_ADMIN = "hospital_admin", _("Hospital administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Auditor")


CLINICAL_ROLES = {Role.DOCTOR, Role.PHARMACIST, Role.NURSE}
ADMIN_ROLES = {Role.HOSPITAL_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}
STAFF_ROLES = CLINICAL_ROLES | ADMIN_ROLES


class HospitalUserManager(UserManager.from_queryset(EncryptedQuerySet)):  # type: ignore[misc]
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """``manage createsuperuser`` makes the first security administrator, who then creates the other
        back-office accounts (a superuser still sees only what the role allows: separation of duties)."""
        extra_fields.setdefault("role", Role.SECURITY_ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


# The national professional titles (卫生专业技术职称) of doctors, pharmacists and nurses, as the hospital
# stores them, and what an English reader sees (User.shown_title).
PROFESSIONAL_TITLES = {
    "主任医师": _("Chief physician"),
    "副主任医师": _("Associate chief physician"),
    "主治医师": _("Attending physician"),
    "住院医师": _("Resident physician"),
    "主任药师": _("Chief pharmacist"),
    "副主任药师": _("Associate chief pharmacist"),
    "主管药师": _("Pharmacist-in-charge"),
    "药师": _("Pharmacist"),
    "主任护师": _("Chief nurse"),
    "副主任护师": _("Associate chief nurse"),
    "主管护师": _("Nurse-in-charge"),
    "护师": _("Senior nurse"),
    "护士": _("Nurse"),
}


class User(PublicIdModel, AbstractUser):
    """One account. Patients are identified by their mobile number; staff by a user name and carry a
    practice certificate number (执业证书编号) when they practise. The mobile number is encrypted at rest
    and found by its blind index: ``User.objects.matching(phone=…)``."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    phone = EncryptedField(_("mobile number"), kind=crypto.PHONE, null=True, blank=True)
    phone_index = BlindIndexField(_("mobile number's blind index"), of="phone", null=True, unique=True)
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    practice_certificate_no = models.CharField(_("practice certificate number"), max_length=30, blank=True)
    # The language this person chose for the interface; messages sent to them later (an SMS caused by a
    # doctor working in English, a reminder from a task) are rendered in it. Blank: the hospital's default.
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    # Staff passwords expire PASSWORD_MAX_AGE_DAYS after this (set by accounts.passwords); empty: the password
    # was set by a security administrator and must be changed at the next sign-in.
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True, default=timezone.now)

    objects = HospitalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=~Q(role="patient") | Q(phone__isnull=False), name="patient_has_phone"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def shown_title(self) -> str:
        """The professional title in the reader's language: the national titles (职称) are stored as the
        hospital writes them (主任医师) and shown in English under English; any other title as stored."""
        known = PROFESSIONAL_TITLES.get(self.title.strip())
        return str(known) if known is not None else self.title

    @property
    def masked_phone(self) -> str:
        return crypto.mask(self.phone, keep_start=3, keep_end=4) if self.phone else ""

    @property
    def reading_language(self) -> str:
        """The language to write to this person in."""
        return self.language or settings.LANGUAGE_CODE


class VisitPerson(PublicIdModel):
    """就诊人: a real person an account books care for (self, child, parent …). The ID number is fixed once
    registered (real-name rule); the name only changes by a correction that re-proves the ID number;
    contact and health details may be updated.

    Removing one is soft (``removed_at``): bookings, consultations and records keep pointing at it, but it
    is no longer listed, bookable or counted against VISIT_PERSONS_PER_ACCOUNT, and may be added again.

    ID numbers and mobile numbers are encrypted at rest. Shown masked (``masked_id_number``) except to
    the patient who manages the person and to the HIS, which reads ``resident_id_number()``."""

    class Relationship(models.TextChoices):
        SELF = "self", _("Myself")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SPOUSE = "spouse", _("Spouse")
        OTHER = "other", _("Other relative")

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    account = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.PROTECT, related_name="visit_persons")
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    name = models.CharField(_("name"), max_length=50)
    id_number = EncryptedField(_("resident ID number"), kind=crypto.ID_NUMBER)
    id_number_index = BlindIndexField(_("ID number's blind index"), of="id_number")
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    phone = EncryptedField(_("mobile number"), kind=crypto.PHONE)
    allergies = models.TextField(_("allergies"), blank=True, max_length=500)
    chronic_conditions = models.TextField(_("chronic conditions"), blank=True, max_length=500)
    guardian_name = models.CharField(_("guardian's name"), max_length=50, blank=True)
    guardian_id_number = EncryptedField(_("guardian's ID number"), kind=crypto.ID_NUMBER, blank=True)
    guardian_phone = EncryptedField(_("guardian's mobile number"), kind=crypto.PHONE, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    # The hospital information system's patient id (病人ID/门诊号), once the HIS has matched or registered
    # (建档) the person; set by appointments' HIS link, never by the patient.
    his_patient_id = models.CharField(_("HIS patient id"), max_length=32, blank=True)

    objects = EncryptedManager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("visit person")
        verbose_name_plural = _("visit persons")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "id_number_index"],
                condition=Q(removed_at__isnull=True),
                name="visit_person_unique_id_per_account",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(relationship="self", removed_at__isnull=True),
                name="visit_person_one_self_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def resident_id_number(self) -> str:
        """The whole resident ID number, for the HIS patient index and the real-name check. Anything a
        person sees shows ``masked_id_number``."""
        return self.id_number

    @property
    def masked_id_number(self) -> str:
        return crypto.mask(self.id_number, keep_start=6, keep_end=4)

    @property
    def masked_phone(self) -> str:
        return crypto.mask(self.phone, keep_start=3, keep_end=4)

    @property
    def masked_guardian_id_number(self) -> str:
        return crypto.mask(self.guardian_id_number, keep_start=6, keep_end=4) if self.guardian_id_number else ""


class PrivacyConsent(models.Model):
    """A patient's consent under China's Personal Information Protection Law, to one version of the privacy
    notice. Health information is sensitive personal information (PIPL art. 28–29): its processing needs a
    separate consent, so each sign-in that needs consent records two rows, one per ``kind``. When the
    notice's version (settings.PRIVACY_NOTICE_VERSION) changes, consent is asked again. Kept as a record."""

    class Kind(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")
        HEALTH_DATA = "health_data", _("Processing of health information")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="privacy_consents")
    kind = models.CharField(_("consent to"), max_length=20, choices=Kind.choices)
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    given_at = models.DateTimeField(_("given at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("privacy consent")
        verbose_name_plural = _("privacy consents")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "notice_version"], name="privacy_consent_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.notice_version} at {self.given_at:%Y-%m-%d %H:%M}"


class SmsCode(models.Model):
    """A one-time sign-in code. Only its keyed hash is stored."""

    phone = models.CharField(_("mobile number"), max_length=11, db_index=True)
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["phone", "created_at"], name="smscode_phone_recent_idx")]

    def __str__(self) -> str:
        return f"code for {self.phone[:3]}****{self.phone[-4:]} at {self.created_at:%Y-%m-%d %H:%M}"


class SignInThrottle(models.Model):
    """Wrong-code counter and lock for one phone number. Counted with F() so racing guesses all count."""

    phone = models.CharField(_("mobile number"), max_length=11, unique=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in throttle")
        verbose_name_plural = _("sign-in throttles")

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}: {self.failures} failures"


class ApiToken(PublicIdModel):
    """A Bearer token for the mobile apps. Only the SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class IdentityConfirmation(models.Model):
    """A staff member re-proved who they are (password or TOTP code) at ``confirmed_at``. Before each
    consultation the doctor must have one younger than STAFF_IDENTITY_CHECK_SECONDS. Kept as a record."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password")
        TOTP = "totp", _("Authenticator code")

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="identity_confirmations"
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    confirmed_at = models.DateTimeField(_("confirmed at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity confirmation")
        verbose_name_plural = _("identity confirmations")
        indexes = [models.Index(fields=["user", "-confirmed_at"], name="identity_conf_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user} by {self.method} at {self.confirmed_at:%Y-%m-%d %H:%M}"

    @property
    def valid_until(self) -> datetime:
        return self.confirmed_at + timedelta(seconds=settings.STAFF_IDENTITY_CHECK_SECONDS)


class IdentityCheckThrottle(models.Model):
    """Consecutive failed identity re-checks of one staff member, and the lock they lead to. Attempts
    for one user queue on this row's lock, so racing guesses all count."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="identity_check_throttle"
    )
    failures = models.PositiveIntegerField(_("failures"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity check throttle")
        verbose_name_plural = _("identity check throttles")

    def __str__(self) -> str:
        return f"{self.user}: {self.failures} failed identity checks"


class Authenticator(TOTPDevice):
    """A staff member's authenticator app (django-otp's TOTP device) as the back office names it: the
    package's own model has untranslatable names."""

    class Meta:
        proxy = True
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return str(self.user)


class PasswordHistory(models.Model):
    """The hashes of a staff member's earlier passwords: a new one may not repeat the last
    PASSWORD_HISTORY_COUNT (passwords.PasswordHistoryValidator). Hashes only, never a password."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("earlier password")
        verbose_name_plural = _("earlier passwords")
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user} at {self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """A staff member's browser session, for the list of their active sessions (and signing the others out).
    The session itself lives in Django's session store; this row says where and when it began, was last
    seen (at most a minute late), and how it ended."""

    class EndReason(models.TextChoices):
        SIGNED_OUT = "signed_out", _("Signed out")
        IDLE = "idle", _("Idle timeout")
        ABSOLUTE = "absolute", _("Maximum session age")
        ENDED_ELSEWHERE = "ended_elsewhere", _("Signed out from another session")
        RESET = "reset", _("Ended by a security administrator")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(_("started at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("how it ended"), max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "ended_at"], name="user_session_open_idx")]

    def __str__(self) -> str:
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"
