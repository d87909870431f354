"""The HTML pages' side of access and refusal, shared by every app's ``views.py``:

- ``role_required(*roles)``: who may open a page. Anonymous visitors are sent to the sign-in page of the
  roles it admits and come back after; a signed-in user of another role gets a 403 page.
- ``attach_error(form, error)``: a service's refusal shown on the form that was posted (each message keeps
  the error's code: ``form.errors.as_data()``).
- ``DomainErrorMiddleware``: a ``DomainError`` that leaves an HTML view becomes the page for its status,
  so views need no ``try: … except DomainError: raise Http404``.
- ``BadInputMiddleware``: input no view can handle (a NUL character, invalid UTF-8, a body its content type
  can't parse, one too large) is refused before any view runs, and every error leaving an API path is
  ``{code, message, fields}`` JSON.

Roles are plain strings (the values of ``accounts.models.Role``), read from ``request.user.role``: core
imports no app. Settings: ``ROLE_LOGIN_URLS`` (role → sign-in page; others use ``LOGIN_URL``),
``WEB_ERROR_TEMPLATE`` (the error page, given ``error``, ``message``, ``status`` and ``sign_in_url``) and
``API_PATH_PREFIXES`` (paths whose errors are always JSON).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.shortcuts import render, resolve_url
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import CoreError, DomainError

View = Callable[..., HttpResponse]


def sign_in_url(roles: frozenset[str] | set[str]) -> str:
    """The sign-in page for these roles: the one ``ROLE_LOGIN_URLS`` gives all of them, else ``LOGIN_URL``
    (a page open to patients and staff alike sends anonymous visitors to the staff sign-in)."""
    urls = {settings.ROLE_LOGIN_URLS.get(role, settings.LOGIN_URL) for role in roles}
    return resolve_url(urls.pop() if len(urls) == 1 else settings.LOGIN_URL)


def role_required(*roles: str, login_url: str | None = None) -> Callable[[View], View]:
    """A page for these roles only. Anonymous visitors go to the sign-in page (``login_url``, else the
    roles' own, see ``sign_in_url``) with ``next`` set to come back; a signed-in user of another role
    gets 403 with a link to sign in with another account."""
    if not roles:
        raise TypeError("role_required needs at least one role")
    admitted = frozenset(roles)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if user.is_authenticated and getattr(user, "role", None) in admitted:
                return view(request, *args, **kwargs)
            to_sign_in = redirect_to_login(request.get_full_path(), login_url or sign_in_url(admitted))
            if not user.is_authenticated:
                return to_sign_in
            return error_response(request, DomainError(CoreError.FORBIDDEN), sign_in_url=to_sign_in.url)

        return wrapper

    return decorate


def attach_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: per-field messages where it named fields, else on top."""
    placed = False
    for name, message in error.fields.items():
        if name in form.fields:
            form.add_error(name, forms.ValidationError(message, code=error.code))
            placed = True
    if not placed:
        form.add_error(None, forms.ValidationError(error.message, code=error.code))


def error_response(request: HttpRequest, error: DomainError, *, sign_in_url: str = "") -> HttpResponse:
    """The error page: the refusal's message in the reader's language, with the status of its code."""
    context = {"error": error, "message": error.message, "status": error.status, "sign_in_url": sign_in_url}
    return render(request, settings.WEB_ERROR_TEMPLATE, context, status=error.status)


class DomainErrorMiddleware(MiddlewareMixin):
    """Turns a ``DomainError`` raised by an HTML view into ``error_response`` (404 for ``core.not_found``,
    403 for forbidden, 409 for a conflict…: the status is the ErrorCode's).

    A middleware rather than a view decorator: it covers every page without each view having to be
    marked, so a view that forgets can't turn a refusal into a 500. The API keeps its own path: django-
    ninja catches ``DomainError`` inside its views (config/api.py renders ``{code, message, fields}``)
    and ninja views are skipped here in case one ever lets it through. Views that answer JSON to
    scripts or re-show a form with the error still catch it themselves.
    """

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        match = request.resolver_match
        if match is not None and getattr(match.func, "__module__", "").startswith("ninja."):
            return None
        return error_response(request, exception)


# --- The edge: input no view can handle is refused before any runs ----------------------------------------

logger = logging.getLogger(__name__)

# A NUL (PostgreSQL refuses it in text; C libraries cut strings at it) or a lone surrogate (JSON's "\ud800":
# not encodable as UTF-8, so no database or file can take it).
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A multipart body up to this size is read into memory first, so that a view reading ``request.body``
# still can; larger ones (uploads) are parsed as a stream.
_BUFFERED_MULTIPART_BYTES = 256 * 1024
# What each status an API path may end with means, for errors that left no coded body (Django's own 404 or
# 405, a request it could not parse, an uncaught exception).
_CODE_OF_STATUS = {
    400: CoreError.BAD_INPUT,
    401: CoreError.NOT_AUTHENTICATED,
    403: CoreError.FORBIDDEN,
    404: CoreError.NOT_FOUND,
    405: CoreError.METHOD_NOT_ALLOWED,
    413: CoreError.TOO_LARGE,
    415: CoreError.UNSUPPORTED_MEDIA_TYPE,
    429: CoreError.RATE_LIMITED,
}
_CANNOT_READ = _("This value contains a character that cannot be stored (NUL or invalid UTF-8).")


def is_api_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(tuple(settings.API_PATH_PREFIXES))


def _wants_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return is_api_path(request) or content_type == "application/json" or content_type.endswith("+json")


def coded_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """``error`` as JSON ``{code, message, fields}`` for an API path or a JSON request, else the error page;
    in the reader's language (it may run before LocaleMiddleware)."""
    with translation.override(translation.get_language_from_request(request)):
        if _wants_json(request):
            return JsonResponse(error.as_dict(), status=error.status)
        return error_response(request, error)


def _unreadable_names(pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {
        _UNREADABLE.sub("\ufffd", name): str(_CANNOT_READ)
        for name, value in pairs
        if _UNREADABLE.search(name) or (isinstance(value, str) and _UNREADABLE.search(value))
    }


def _strict_pairs(raw: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` decoded as strict UTF-8 (Django's own parsing replaces what it can't decode)."""
    return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")


def _json_problems(value: Any, path: str = "") -> dict[str, str]:
    """The dotted paths of the strings (keys included) in a parsed JSON document that can't be stored."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _UNREADABLE.search(key):
                found[_UNREADABLE.sub("\ufffd", here)] = str(_CANNOT_READ)
            found.update(_json_problems(item, here))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_json_problems(item, f"{path}.{index}" if path else str(index)))
    elif isinstance(value, str) and _UNREADABLE.search(value):
        found[path or "body"] = str(_CANNOT_READ)
    return found


def _check_json(request: HttpRequest) -> dict[str, str]:
    body = request.body
    if not body:
        return {}
    try:
        return _json_problems(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError):  # not UTF-8, or not JSON (a raw NUL is neither)
        return {"body": str(_("The body is not valid JSON in UTF-8."))}


def _check_form(request: HttpRequest) -> dict[str, str]:
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            return _unreadable_names(_strict_pairs(request.body.decode("utf-8")))
        except UnicodeDecodeError:
            return {"body": str(_CANNOT_READ)}
    if _content_length(request) <= _BUFFERED_MULTIPART_BYTES:
        request.body  # noqa: B018 -- buffered: the view may still read request.body after the parse below
    problems = _unreadable_names((name, value) for name, values in request.POST.lists() for value in values)
    names = [(name, upload.name or "") for name, uploads in request.FILES.lists() for upload in uploads]
    problems.update(_unreadable_names(names))
    return problems


class _Unsupported(Exception):
    """A body of a content type this path does not take."""


def _content_length(request: HttpRequest) -> int:
    value = request.META.get("CONTENT_LENGTH", "")
    return int(value) if value.isdigit() else 0


def _problems(request: HttpRequest) -> dict[str, str]:
    """What in the request can't be read, by field name; raises what Django's parsers raise."""
    if _UNREADABLE.search(request.path):
        return {"path": str(_CANNOT_READ)}
    try:
        query = _strict_pairs(request.META.get("QUERY_STRING", ""))
    except UnicodeDecodeError:
        return {"query": str(_CANNOT_READ)}
    problems = _unreadable_names(query)
    headers = [(name[5:].lower(), value) for name, value in request.META.items() if name.startswith("HTTP_")]
    problems.update(_unreadable_names(pair for pair in headers if pair[0] != "cookie"))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            problems.update(_check_json(request))
        elif content_type in _FORM_TYPES:
            problems.update(_check_form(request))
        elif is_api_path(request) and _content_length(request):
            # django-ninja reads a JSON body whatever its Content-Type: the API takes JSON or forms only.
            raise _Unsupported
    return problems


class BadInputMiddleware(MiddlewareMixin):
    """Refuses, before any view runs, what no view can handle: a NUL character or a lone surrogate in the
    path, the query, a header, a form field (or a file's name) or a JSON string; invalid UTF-8 there; a body
    its content type can't parse (multipart with no boundary, broken JSON) or too large. The answer is
    ``core.bad_input`` (400, the offending fields named) or ``core.too_large`` (413), JSON on an API path or
    for a JSON request, else the error page. A cookie holding such characters is dropped, as if absent.

    On API paths every error response leaving the stack is coded JSON: Django's own 404 and 405, a parse
    error a view met, an uncaught exception (500, still logged and reported as Django does).

    Near the top of MIDDLEWARE: before the session reads its cookie and CSRF reads the form.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        for name in [name for name, value in request.COOKIES.items() if _UNREADABLE.search(name + value)]:
            del request.COOKIES[name]
        try:
            problems = _problems(request)
        except RequestDataTooBig:
            return coded_response(request, DomainError(CoreError.TOO_LARGE))
        except _Unsupported:
            return coded_response(request, DomainError(CoreError.UNSUPPORTED_MEDIA_TYPE))
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, UnicodeDecodeError, ValueError):
            return coded_response(request, DomainError(CoreError.BAD_INPUT, fields={"body": _("Malformed body.")}))
        if problems:
            return coded_response(request, DomainError(CoreError.BAD_INPUT, fields=problems))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A view that reads request.body after a streamed multipart parse (only a forged request does that).
        if isinstance(exception, (RawPostDataException, MultiPartParserError)):
            return coded_response(request, DomainError(CoreError.BAD_INPUT))
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code < 400 or not is_api_path(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        error = _CODE_OF_STATUS.get(response.status_code, CoreError.SERVER_ERROR)
        if response.status_code < 500 and error is CoreError.SERVER_ERROR:
            error = CoreError.BAD_INPUT
        coded = coded_response(request, DomainError(error))
        coded.status_code = response.status_code
        for header in ("Allow", "Retry-After"):
            if header in response:
                coded[header] = response[header]
        return coded
