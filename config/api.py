"""One NinjaAPI per audience, each with its own OpenAPI document and docs page.

    /api/patient/v1/   the patient app (phone + SMS code sign-in)
    /api/staff/v1/     doctors, pharmacists and nurses

Errors render as ``{code, message, fields}`` with the HTTP status the error code carries, and every
operation declares them in its OpenAPI document (ihospital.core.api).
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ihospital.accounts import api as accounts_api
from ihospital.appointments import api as appointments_api
from ihospital.consultations import api as consultations_api
from ihospital.core.api import AddressRateLimit, CodedErrorsAPI, UserRateLimit, field_message, retry_after
from ihospital.core.errors import CoreError, DomainError
from ihospital.scheduling import api as scheduling_api
from ihospital.signatures import api as signatures_api


def _error(api: NinjaAPI, request, error: DomainError):
    response = api.create_response(request, error.as_dict(), status=error.status)
    if error.status == 429:
        response["Retry-After"] = str(retry_after(error))
    return response


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        fields.setdefault(".".join(location) or "body", field_message(item))
    return fields


class OfflineSwagger(Swagger):
    """The docs page with Swagger UI from the product's own static files (web/static/vendor/swagger-ui-*,
    see its README for version and licence). Ninja's own page loads it from a CDN when ninja is not an
    installed app, and hospital networks are often offline. No online validator badge either."""

    template = "web/api_docs.html"

    def __init__(self) -> None:
        super().__init__(settings={"validatorUrl": None})

    def render_page(self, request, api, **kwargs):
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"api": api, "swagger_settings": json.dumps(settings)})


def build_api(*, audience: str, title: str, description: str) -> NinjaAPI:
    api = CodedErrorsAPI(
        title=title,
        version="1",
        description=description,
        urls_namespace=f"{audience}_api",
        docs_url="/docs",
        # Per signed-in user and per address (settings.API_RATE_LIMITS): 429 with Retry-After past them.
        throttle=[UserRateLimit(), AddressRateLimit()],
        docs=OfflineSwagger(),
    )

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return _error(api, request, exc)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        return _error(api, request, DomainError(CoreError.INVALID_REQUEST, fields=_field_errors(exc)))

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return _error(api, request, DomainError(CoreError.NOT_AUTHENTICATED))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _error(api, request, DomainError(CoreError.NOT_FOUND))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        codes = {
            401: CoreError.NOT_AUTHENTICATED,
            403: CoreError.FORBIDDEN,
            404: CoreError.NOT_FOUND,
            429: CoreError.RATE_LIMITED,
        }
        return _error(api, request, DomainError(codes.get(exc.status_code, CoreError.INVALID_REQUEST)))

    # A body Django could not parse when the operation read it (BadInputMiddleware refuses most before).
    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(RawPostDataException)
    @api.exception_handler(UnicodeDecodeError)
    def unreadable(request, exc):
        return _error(api, request, DomainError(CoreError.BAD_INPUT))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        return _error(api, request, DomainError(CoreError.TOO_LARGE))

    return api


patient_api = build_api(
    audience="patient",
    title="ihospital patient API",
    description="For the patient app: sign in with an SMS code, manage visit persons (就诊人), find a doctor, "
    "book and pay for online clinic slots.",
)
patient_api.add_router("/", accounts_api.patient_router)
patient_api.add_router("/", scheduling_api.build_router(accounts_api.PATIENT))
patient_api.add_router("/", appointments_api.build_patient_router(accounts_api.PATIENT))
patient_api.add_router("/", consultations_api.build_patient_router(accounts_api.PATIENT))

staff_api = build_api(
    audience="staff",
    title="ihospital staff API",
    description="For doctors, pharmacists and nurses.",
)
staff_api.add_router("/", accounts_api.staff_router)
staff_api.add_router("/", appointments_api.build_staff_router(accounts_api.DOCTOR))
staff_api.add_router("/", consultations_api.build_staff_router(accounts_api.DOCTOR))
staff_api.add_router("/", signatures_api.build_staff_router(accounts_api.STAFF))
