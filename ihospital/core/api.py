"""What every NinjaAPI of the product shares (config/api.py builds one per audience):

- ``CodedErrorsAPI``: a NinjaAPI whose OpenAPI document declares, on every operation, the coded error
  responses ``{code, message, fields}`` it may give (400, 401, 403, 404, 409, 413, 415, 422, 429 with
  ``Retry-After``), so clients and a schema-driven fuzzer see them. They are
  declared in the document only: every error already leaves as that shape (the API's exception handlers,
  and ``ihospital.core.web.BadInputMiddleware`` for what never reaches a view).
- ``UserRateLimit`` and ``AddressRateLimit``: django-ninja throttles, per signed-in user and per client
  address, at the rates of ``settings.API_RATE_LIMITS`` (read at each request, so a deployment or a test
  changes them without a restart); past them ninja answers 429 with ``Retry-After``.
- ``retry_after(error)``: the ``Retry-After`` seconds of a coded 429 refusal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.throttling import SimpleRateThrottle

from ihospital.core.errors import DomainError

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "description": "A refusal: a stable code, a message in the reader's language, and per-field messages.",
    "type": "object",
    "properties": {
        "code": {"type": "string", "examples": ["core.invalid_request"]},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["code", "message", "fields"],
}
# Status → what it means here. 401 on every operation: the public sign-in ones answer it to wrong credentials.
ERROR_RESPONSES: dict[int, str] = {
    400: "The request can't be read (NUL character, invalid UTF-8, malformed body) or a rule refused it.",
    401: "Not signed in, the token has expired or was revoked, or (signing in) the credentials are wrong.",
    403: "Signed in, but not allowed to do this.",
    404: "Not found, or not yours.",
    409: "Conflicts with the current state (taken, already done, still in progress).",
    413: "The request body is too large.",
    415: "This content type is not accepted here.",
    422: "Some fields are missing or invalid (named in ``fields``).",
    429: "Too many requests: wait for ``Retry-After`` seconds.",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}},
}


def declare_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the coded error responses to every operation of an OpenAPI ``document`` (in place)."""
    document.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                declared: dict[str, Any] = {"description": description, "content": content}
                if status == 429:
                    declared["headers"] = RETRY_AFTER
                responses.setdefault(str(status), declared)
    return document


class CodedErrorsAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document declares the coded error responses (``declare_errors``)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        return declare_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


class _SettingsRateLimit(SimpleRateThrottle):
    """A ninja throttle whose rate is ``settings.API_RATE_LIMITS[scope]``, read at each request (None or
    absent: no limit). The client address is ``REMOTE_ADDR`` only: a client-sent ``X-Forwarded-For`` would
    let anyone be a new address at each request (behind nginx, uvicorn puts the real address there)."""

    scope = ""

    def __init__(self) -> None:  # the rate is read per request, not fixed at start-up
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        rate = settings.API_RATE_LIMITS.get(self.scope)
        if not rate:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def get_ident(self, request: HttpRequest) -> str:
        return request.META.get("REMOTE_ADDR", "")


class UserRateLimit(_SettingsRateLimit):
    """Requests per signed-in user (token or session), whatever the address."""

    scope = "user"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        if user is None or getattr(user, "pk", None) is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AddressRateLimit(_SettingsRateLimit):
    """Requests per client address, signed in or not."""

    scope = "address"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def retry_after(error: DomainError) -> int:
    """The seconds a 429 refusal asks to wait: its ``retry_after`` parameter, else its ``seconds`` or
    ``minutes``, else a minute."""
    params = error.params
    if "retry_after" in params:
        return max(1, int(params["retry_after"]))
    if "seconds" in params:
        return max(1, int(params["seconds"]))
    return max(1, int(params.get("minutes", 1)) * 60)


# What pydantic's validation errors mean, in the reader's language (pydantic writes English only).
FIELD_MESSAGES: dict[str, Any] = {
    "missing": _("This field is required."),
    "string_too_short": _("At least %(min_length)s characters."),
    "string_too_long": _("At most %(max_length)s characters."),
    "too_short": _("At least %(min_length)s items."),
    "too_long": _("At most %(max_length)s items."),
    "string_type": _("Text is expected here."),
    "string_pattern_mismatch": _("Not in the expected format."),
    "int_parsing": _("A whole number is expected here."),
    "int_type": _("A whole number is expected here."),
    "int_from_float": _("A whole number is expected here."),
    "float_parsing": _("A number is expected here."),
    "float_type": _("A number is expected here."),
    "decimal_parsing": _("A number is expected here."),
    "bool_parsing": _("Yes or no (true or false) is expected here."),
    "bool_type": _("Yes or no (true or false) is expected here."),
    "date_parsing": _("A date (YYYY-MM-DD) is expected here."),
    "date_from_datetime_parsing": _("A date (YYYY-MM-DD) is expected here."),
    "date_type": _("A date (YYYY-MM-DD) is expected here."),
    "datetime_parsing": _("A date and time (ISO 8601) is expected here."),
    "datetime_from_date_parsing": _("A date and time (ISO 8601) is expected here."),
    "datetime_type": _("A date and time (ISO 8601) is expected here."),
    "uuid_parsing": _("An identifier (UUID) is expected here."),
    "uuid_type": _("An identifier (UUID) is expected here."),
    "greater_than": _("Must be more than %(gt)s."),
    "greater_than_equal": _("Must be %(ge)s or more."),
    "less_than": _("Must be less than %(lt)s."),
    "less_than_equal": _("Must be %(le)s or less."),
    "enum": _("One of: %(expected)s."),
    "literal_error": _("One of: %(expected)s."),
    "json_invalid": _("Not valid JSON."),
    "list_type": _("A list is expected here."),
    "dict_type": _("An object is expected here."),
    "model_type": _("An object is expected here."),
    "model_attributes_type": _("An object is expected here."),
    "extra_forbidden": _("This field is not accepted here."),
}


def field_message(error: dict[str, Any]) -> str:
    """One pydantic validation error (``ValidationError.errors`` item) as a message in the active language.
    A custom validator's own message (``value_error``, ``assertion_error``) is kept: ours are translated."""
    kind = error.get("type", "")
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ") or str(_("Invalid value."))
    template = FIELD_MESSAGES.get(kind)
    if template is None:
        return str(_("Invalid value."))
    context = {name: value for name, value in (error.get("ctx") or {}).items()}
    try:
        return str(template) % context if "%(" in str(template) else str(template)
    except (KeyError, TypeError, ValueError):
        return str(_("Invalid value."))
