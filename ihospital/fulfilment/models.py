"""Dispensing, delivery and pickup (配送/自取) of paid prescriptions.

The prescription's own state (paid → dispensed → shipped → delivered, or ready_for_pickup → picked_up)
lives on ``prescriptions.Prescription``; this app keeps what fulfilling it needs: the patient's address
book, the hospital's pickup pharmacies, the shipments placed with the courier and their route updates,
and every courier callback as it arrived.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ihospital.core import crypto
from ihospital.core.fields import BlindIndexField, EncryptedField, EncryptedManager
from ihospital.core.ids import PublicIdModel

# The provincial-level divisions of the mainland a courier delivers to (GB/T 2260 names).
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区",
)  # fmt: skip


class Address(PublicIdModel):
    """One address of a patient's address book. Edited in place (a shipment keeps its own copy); retired,
    never deleted, so a past shipment's address can still be traced."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="addresses"
    )
    recipient = models.CharField(_("recipient"), max_length=30)
    phone = EncryptedField(_("mobile number"), kind=crypto.PHONE)
    province = models.CharField(_("province"), max_length=10, choices=[(p, p) for p in PROVINCES])
    city = models.CharField(_("city"), max_length=20)
    district = models.CharField(_("district"), max_length=20)
    detail = models.CharField(_("street address"), max_length=120)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    retired_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = EncryptedManager()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.recipient} {self.region} {self.detail}"

    @property
    def region(self) -> str:
        parts: list[str] = []
        for part in (self.province, self.city, self.district):  # 上海市 上海市 徐汇区 → 上海市 徐汇区
            if part and part not in parts:
                parts.append(part)
        return " ".join(parts)


class Pharmacy(PublicIdModel):
    """A hospital pharmacy where patients pick up online prescriptions, as the HIS lists it (药房字典)."""

    his_code = models.CharField(_("HIS code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=60)
    address = models.CharField(_("address"), max_length=120)
    hours = models.CharField(_("opening hours"), max_length=100)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    pickup = models.BooleanField(_("hands out online prescriptions"), default=True)
    synced_at = models.DateTimeField(_("synchronised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pharmacy")
        verbose_name_plural = _("pharmacies")
        ordering = ["his_code"]

    def __str__(self) -> str:
        return self.name


PICKUP_CODE = "pickup_code"  # the encryption kind of a pickup code


class Fulfilment(PublicIdModel):
    """How a released prescription reaches its patient, chosen by the patient before paying: delivered to an
    address of their book, or picked up at a pharmacy with a code. Also what the pharmacy side records: the
    HIS pharmacy's dispensing number once the prescription was transferred there."""

    class Method(models.TextChoices):
        DELIVERY = "delivery", _("Delivery")
        PICKUP = "pickup", _("Pickup at the hospital")

    prescription = models.OneToOneField(
        "prescriptions.Prescription",
        verbose_name=_("prescription"),
        on_delete=models.PROTECT,
        related_name="fulfilment",
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    address = models.ForeignKey(
        Address, verbose_name=_("address"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The pharmacy that dispenses: the one chosen for pickup, or the delivery pharmacy (settings).
    pharmacy = models.ForeignKey("Pharmacy", verbose_name=_("pharmacy"), on_delete=models.PROTECT, related_name="+")
    pickup_code = EncryptedField(_("pickup code"), kind=PICKUP_CODE, null=True, blank=True)  # given when ready
    pickup_code_index = BlindIndexField(of="pickup_code", null=True, unique=True)
    his_dispense_no = models.CharField(_("HIS dispensing number"), max_length=30, blank=True)
    his_transferred_at = models.DateTimeField(_("transferred to the HIS at"), null=True, blank=True)
    chosen_at = models.DateTimeField(_("chosen at"))

    objects = EncryptedManager()

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(method="delivery") | models.Q(address__isnull=False),
                name="fulfilment_delivery_has_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prescription_id} [{self.method}]"


class Shipment(PublicIdModel):
    """A parcel placed with the courier for one delivery, with a copy of the address it goes to.

    placing (the outbox will place it) → created (the courier gave a waybill) → picked_up → in_transit →
    delivered | failed. Route updates may arrive late or out of order: an update never moves a shipment
    backwards (``TRANSITIONS``), it is only kept in the timeline.
    """

    class Status(models.TextChoices):
        PLACING = "placing", _("Handing to the courier")
        CREATED = "created", _("Waiting for the courier")
        PICKED_UP = "picked_up", _("Picked up by the courier")
        IN_TRANSIT = "in_transit", _("On the way")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Delivery failed")

    TRANSITIONS = {
        Status.CREATED: {Status.PLACING},
        Status.PICKED_UP: {Status.PLACING, Status.CREATED},
        Status.IN_TRANSIT: {Status.PLACING, Status.CREATED, Status.PICKED_UP},
        Status.DELIVERED: {Status.PLACING, Status.CREATED, Status.PICKED_UP, Status.IN_TRANSIT},
        Status.FAILED: {Status.PLACING, Status.CREATED, Status.PICKED_UP, Status.IN_TRANSIT},
    }

    fulfilment = models.ForeignKey(
        Fulfilment, verbose_name=_("fulfilment"), on_delete=models.PROTECT, null=True, related_name="shipments"
    )
    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    waybill_no = models.CharField(_("waybill number"), max_length=30, blank=True, db_index=True)
    courier = models.CharField(_("courier"), max_length=30, blank=True)
    recipient = models.CharField(_("recipient"), max_length=30)
    phone = EncryptedField(_("mobile number"), kind=crypto.PHONE)
    region = models.CharField(_("region"), max_length=60)
    detail = models.CharField(_("street address"), max_length=120)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLACING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = EncryptedManager()

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.waybill_no or self.order_no} [{self.status}]"


class TrackingEvent(models.Model):
    """One route update of a shipment, as the courier reported it (applied once per ``event_id``)."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Shipment.Status.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} {self.event_id}"


class CourierCallback(PublicIdModel):
    """Every callback posted to the courier endpoint, stored raw before it is looked at — forged ones too —
    with what was made of it."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed (the courier will retry)")

    received_at = models.DateTimeField(_("received at"))
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"))
    signature_valid = models.BooleanField(_("signature valid"), default=False)
    event_id = models.CharField(_("event id"), max_length=64, blank=True, db_index=True)
    waybill_no = models.CharField(_("waybill number"), max_length=30, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("courier callback")
        verbose_name_plural = _("courier callbacks")

    def __str__(self) -> str:
        return f"{self.waybill_no or '?'} [{self.get_outcome_display()}]"
