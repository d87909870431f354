"""The patient's address book: add, edit, choose the default, retire. Addresses are the account's own;
a shipment copies the one chosen, so editing or retiring an address later changes no past delivery."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from ihospital.accounts.names import InvalidName, clean_person_name
from ihospital.accounts.phone import normalize_phone
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, FieldErrors
from ihospital.core.time import now
from ihospital.fulfilment.errors import FulfilmentError
from ihospital.fulfilment.models import PROVINCES, Address

_PLACE = re.compile(r"^[\u4e00-\u9fffA-Za-z·\- ]{2,20}$")  # 徐汇区, 浦东新区, Xuhui District
_CONTROL = re.compile(r"[\x00-\x1f\x7f<>]")


@dataclass(frozen=True)
class AddressInput:
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    is_default: bool = False


def _clean(data: AddressInput) -> dict[str, Any]:
    """The cleaned fields, or DomainError(ADDRESS_INVALID) naming every field that is wrong."""
    problems = FieldErrors()
    values: dict[str, Any] = {"is_default": bool(data.is_default)}
    try:
        values["recipient"] = clean_person_name(data.recipient)
    except InvalidName:
        problems.add("recipient", FulfilmentError.ADDRESS_INVALID_NAME)
    values["phone"] = normalize_phone(data.phone)
    if values["phone"] is None:
        problems.add("phone", FulfilmentError.ADDRESS_INVALID_PHONE)
    values["province"] = data.province.strip()
    if values["province"] not in PROVINCES:
        problems.add("province", FulfilmentError.ADDRESS_INVALID_PROVINCE)
    for name in ("city", "district"):
        values[name] = " ".join(getattr(data, name).split())
        if not _PLACE.match(values[name]):
            problems.add(name, FulfilmentError.ADDRESS_INVALID_PLACE)
    values["detail"] = " ".join(data.detail.split())
    if not 5 <= len(values["detail"]) <= 120 or _CONTROL.search(values["detail"]):
        problems.add("detail", FulfilmentError.ADDRESS_INVALID_DETAIL)
    problems.raise_if_any(FulfilmentError.ADDRESS_INVALID)
    return values


def _make_default(address: Address) -> None:
    Address.objects.filter(account_id=address.account_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )


def _audit(actor: Actor, action: str, address: Address) -> None:
    record(actor=actor, action=action, target_type="address", target_id=str(address.public_id))


@transaction.atomic
def address_create(*, account: Any, data: AddressInput, actor: Actor) -> Address:
    """Add an address to ``account``'s book. The first one becomes the default.

    Errors: fulfilment.address_invalid (with the fields), fulfilment.address_limit (ADDRESSES_PER_ACCOUNT
    kept). Audited ``address.created``.
    """
    values = _clean(data)
    # Row-lock the account so two adds at once can't both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=account.pk).first()
    kept = Address.objects.filter(account=account, retired_at__isnull=True)
    if kept.count() >= settings.ADDRESSES_PER_ACCOUNT:
        raise DomainError(FulfilmentError.ADDRESS_LIMIT, limit=settings.ADDRESSES_PER_ACCOUNT)
    if not kept.exists():
        values["is_default"] = True
    address = Address.objects.create(account=account, **values)
    if address.is_default:
        _make_default(address)
    _audit(actor, "address.created", address)
    return address


@transaction.atomic
def address_update(*, address: Address, data: AddressInput, actor: Actor) -> Address:
    """Change an address (its past shipments keep their copy). Errors: fulfilment.address_invalid,
    fulfilment.address_retired. Audited ``address.updated``."""
    values = _clean(data)
    if not Address.objects.filter(pk=address.pk, retired_at__isnull=True).update(**values):
        raise DomainError(FulfilmentError.ADDRESS_RETIRED)
    address.refresh_from_db()
    if address.is_default:
        _make_default(address)
    _audit(actor, "address.updated", address)
    return address


@transaction.atomic
def address_retire(*, address: Address, actor: Actor) -> None:
    """Take an address out of the book (kept for the record). If it was the default, the newest other
    address becomes the default. Errors: fulfilment.address_retired. Audited ``address.retired``."""
    if not Address.objects.filter(pk=address.pk, retired_at__isnull=True).update(retired_at=now(), is_default=False):
        raise DomainError(FulfilmentError.ADDRESS_RETIRED)
    if address.is_default:
        successor = (
            Address.objects.filter(account_id=address.account_id, retired_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if successor is not None:
            Address.objects.filter(pk=successor.pk).update(is_default=True)
    _audit(actor, "address.retired", address)
