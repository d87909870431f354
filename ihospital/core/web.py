"""The HTML pages' side of access and refusal, shared by every app's ``views.py``:

- ``role_required(*roles)``: who may open a page. Anonymous visitors are sent to the sign-in page of the
  roles it admits and come back after; a signed-in user of another role gets a 403 page.
- ``attach_error(form, error)``: a service's refusal shown on the form that was posted (each message keeps
  the error's code: ``form.errors.as_data()``).
- ``DomainErrorMiddleware``: a ``DomainError`` that leaves an HTML view becomes the page for its status,
  so views need no ``try: … except DomainError: raise Http404``.

Roles are plain strings (the values of ``accounts.models.Role``), read from ``request.user.role``: core
imports no app. Settings: ``ROLE_LOGIN_URLS`` (role → sign-in page; others use ``LOGIN_URL``) and
``WEB_ERROR_TEMPLATE`` (the error page, given ``error``, ``message``, ``status`` and ``sign_in_url``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.deprecation import MiddlewareMixin

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
