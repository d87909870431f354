"""Coded domain errors: every refusal the product gives has a stable code and a translatable message.

Each app declares its codes in its own ``errors.py`` as ``ErrorCode`` constants grouped in a class::

    class AccountError:
        PHONE_INVALID = ErrorCode("account.phone_invalid", _("Enter a valid mobile number."))

and raises ``DomainError(AccountError.PHONE_INVALID, fields={"phone": ...})``. One handler per surface
(API, web) renders ``{code, message, fields}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ErrorCode:
    code: str
    message: str | Promise
    status: int = 400


class DomainError(Exception):
    """A refusal with a stable code. ``params`` fill ``%(name)s`` placeholders of the message."""

    def __init__(
        self,
        error: ErrorCode,
        *,
        fields: Mapping[str, str | Promise] | None = None,
        **params: Any,
    ) -> None:
        self.error = error
        self.params = params
        self.fields = {name: str(text) for name, text in (fields or {}).items()}
        super().__init__(f"{error.code}: {self.message}")

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def status(self) -> int:
        return self.error.status

    @property
    def message(self) -> str:
        text = str(self.error.message)
        return text % self.params if self.params else text

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


@dataclass
class FieldErrors:
    """Collects per-field problems so a form or payload reports all of them at once."""

    errors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str | Promise) -> None:
        self.errors.setdefault(name, str(message))

    def raise_if_any(self, error: ErrorCode) -> None:
        if self.errors:
            raise DomainError(error, fields=self.errors)


class CoreError:
    ILLEGAL_TRANSITION = ErrorCode(
        "core.illegal_transition",
        _("This action is not possible in the current state (%(current)s)."),
        status=409,
    )
    NOT_FOUND = ErrorCode("core.not_found", _("Not found."), status=404)
    INVALID_REQUEST = ErrorCode("core.invalid_request", _("Some fields are missing or invalid."), status=422)
    NOT_AUTHENTICATED = ErrorCode("core.not_authenticated", _("Please sign in."), status=401)
    FORBIDDEN = ErrorCode("core.forbidden", _("You are not allowed to do this."), status=403)
    # Django's CSRF check refused a form (web.views.csrf_failure): most often a page left open too long.
    CSRF_FAILED = ErrorCode(
        "core.csrf_failed",
        _("This form has expired or was not sent from this site. Go back, reload the page and send it again."),
        status=403,
    )
    IDEMPOTENCY_IN_PROGRESS = ErrorCode(
        "core.idempotency_in_progress", _("The same request is still being processed; try again shortly."), status=409
    )
    IDEMPOTENCY_KEY_INVALID = ErrorCode(
        "core.idempotency_key_invalid", _("The Idempotency-Key header must be 1–100 printable characters."), status=400
    )
    RATE_LIMITED = ErrorCode("core.rate_limited", _("Too many requests; try again later."), status=429)
    # Refused at the edge (ihospital.core.web.BadInputMiddleware), before any view runs.
    BAD_INPUT = ErrorCode(
        "core.bad_input",
        _("The request could not be read: it contains a NUL character, invalid UTF-8, or a malformed body."),
        status=400,
    )
    TOO_LARGE = ErrorCode("core.too_large", _("The request is too large."), status=413)
    UNSUPPORTED_MEDIA_TYPE = ErrorCode(
        "core.unsupported_media_type", _("This content type is not accepted here."), status=415
    )
    METHOD_NOT_ALLOWED = ErrorCode("core.method_not_allowed", _("This method is not allowed here."), status=405)
    SERVER_ERROR = ErrorCode(
        "core.server_error", _("Something went wrong on our side; it has been logged. Please try again."), status=500
    )
