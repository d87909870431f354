"""Model fields for identities encrypted at rest (see ihospital.core.crypto).

    phone = EncryptedField(_("mobile number"), kind=crypto.PHONE, null=True, blank=True)
    phone_index = BlindIndexField(of="phone", null=True, unique=True)

    objects = EncryptedManager()          # or SomeManager.from_queryset(EncryptedQuerySet)()
    User.objects.matching(phone="13800000001").first()

Python code sees the plaintext; the column holds ciphertext, and the index column the keyed HMAC that
``BlindIndexField.pre_save`` derives from the plaintext on every save (create, save, bulk_create) and
``EncryptedQuerySet.update`` and ``bulk_update`` on every update. Looking an encrypted field up by value
(``filter(phone=…)``) raises ``FieldError``: a ciphertext never equals anything, so such a query would
quietly find nothing. ``matching(**values)`` is the one way to look a value up; unique constraints go on
the index field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast

from ihospital.core import crypto


class EncryptedField(models.TextField):
    """A text value stored AES-GCM encrypted. ``None`` and ``""`` are stored as they are (an optional
    field left empty has nothing to hide), so ``isnull`` is the only lookup allowed."""

    description = "Text encrypted at rest (AES-256-GCM)"

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        if kwargs.get("unique") or kwargs.get("db_index"):
            # Ciphertexts differ for equal values: put unique constraints and indexes on a BlindIndexField.
            raise ImproperlyConfigured("an EncryptedField can't be unique or indexed: its BlindIndexField can")
        self.kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value, kind=self.kind)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value, kind=self.kind)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: look it up with "
                f"{self.model.__name__}.objects.matching({self.name}=…), not __{lookup_name}"
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        raise FieldError(f"{self.model.__name__}.{self.name} is encrypted: no __{lookup_name}")


class BlindIndexField(models.CharField):
    """The blind index (HMAC-SHA256, hex) of the EncryptedField named ``of``, kept in step on save."""

    description = "Keyed blind index of an encrypted field"

    def __init__(self, *args: Any, of: str, **kwargs: Any) -> None:
        self.of = of
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        for default, key in ((64, "max_length"), (False, "editable"), (True, "blank")):
            if kwargs.get(key) == default:
                del kwargs[key]
        return name, path, args, kwargs

    def source(self) -> EncryptedField:
        field = self.model._meta.get_field(self.of)
        assert isinstance(field, EncryptedField), f"{self.of} is not an EncryptedField"
        return field

    def index_of(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None if self.null else ""
        return crypto.blind_index(self.source().kind, plaintext) if plaintext else ""

    def pre_save(self, model_instance, add):
        value = self.index_of(getattr(model_instance, self.of))
        setattr(model_instance, self.attname, value)
        return value


def index_fields(model: type[models.Model]) -> dict[str, BlindIndexField]:
    """Encrypted field name → its blind-index field, for the encrypted fields of ``model`` that have one."""
    return {f.of: f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)}


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


class EncryptedQuerySet(models.QuerySet):
    def matching(self, **values: str) -> EncryptedQuerySet:
        """Rows whose encrypted fields equal ``values`` (normalised as their kind says), by blind index.

        The one way to look up a phone or ID number: ``User.objects.matching(phone=phone)``."""
        indexes = index_fields(self.model)
        lookups = {}
        for name, value in values.items():
            if name not in indexes:
                raise FieldError(f"{self.model.__name__}.{name} has no blind index to match on")
            lookups[indexes[name].attname] = indexes[name].index_of(value)
        return self.filter(**lookups)

    def update(self, **kwargs: Any) -> int:
        """``update(phone=…)`` also updates ``phone_index``: the index never lags the value."""
        for name, field in index_fields(self.model).items():
            if name in kwargs and field.attname not in kwargs:
                kwargs[field.attname] = field.index_of(kwargs[name])
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        """``bulk_update(rows, ["phone"])`` also writes each row's ``phone_index``, recomputed."""
        objs, fields = list(objs), list(fields)
        for name, field in index_fields(self.model).items():
            if name in fields:
                for obj in objs:
                    setattr(obj, field.attname, field.index_of(getattr(obj, name)))
                if field.attname not in fields:
                    fields.append(field.attname)
        return super().bulk_update(objs, fields, batch_size=batch_size)


class EncryptedManager(models.Manager.from_queryset(EncryptedQuerySet)):  # type: ignore[misc]
    pass


def reencrypt(model: type[models.Model], *, batch_size: int = 500) -> tuple[int, int]:
    """Re-encrypt, with the current key, every value of ``model``'s encrypted fields sealed with an older
    one. Returns (values re-encrypted, rows skipped because they changed meanwhile: run it again).

    Each row is rewritten compare-and-set on its stored ciphertexts, so a change saved concurrently is
    never overwritten with the value read before it. Raises DecryptionError on a value that doesn't
    decrypt (altered, or sealed with a key no longer configured)."""
    fields = encrypted_fields(model)
    if not fields:
        return 0, 0
    current = crypto.current_key_id()
    raw = {f"raw_{f.name}": Cast(f.name, output_field=models.TextField()) for f in fields}
    manager = model._default_manager
    rows = manager.annotate(**raw).order_by("pk").values_list("pk", *raw)
    done = skipped = 0
    for pk, *tokens in rows.iterator(chunk_size=batch_size):
        stale = {
            f.name: crypto.decrypt(token, kind=f.kind)
            for f, token in zip(fields, tokens, strict=True)
            if token and crypto.key_id_of(token) != current
        }
        if not stale:
            continue
        unchanged = dict(zip(raw, tokens, strict=True))
        with transaction.atomic():
            if manager.annotate(**raw).filter(pk=pk, **unchanged).update(**stale):
                done += len(stale)
            else:
                skipped += 1
    return done, skipped


def values_by_key(model: type[models.Model]) -> dict[str, int]:
    """How many stored values of ``model`` each key id sealed: a key can be retired once it counts none."""
    counts: dict[str, int] = {}
    for field in encrypted_fields(model):
        tokens = model._default_manager.annotate(raw=Cast(field.name, output_field=models.TextField()))
        for token in tokens.exclude(raw__isnull=True).exclude(raw="").values_list("raw", flat=True).iterator():
            key_id = crypto.key_id_of(token)
            counts[key_id] = counts.get(key_id, 0) + 1
    return counts
