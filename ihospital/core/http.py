"""The one way out over HTTP: every integration calls outside systems through ``Client``::

    client = http.Client(service="cloud-video", transport=settings.CLOUD_VIDEO_TRANSPORT)
    response = client.request("POST", url, json=body, headers=headers, idempotency_key=key)

What every call gets, whoever makes it:

- **Timeouts**, always: connect (HTTP_CONNECT_TIMEOUT_SECONDS) and read/write (HTTP_READ_TIMEOUT_SECONDS,
  or the client's ``read_timeout``). httpx would otherwise wait 5 s for everything; a hung platform
  must not hold a worker longer than we decided.
- **Retries only where safe**, at most HTTP_RETRY_ATTEMPTS attempts with exponential backoff from
  HTTP_RETRY_BACKOFF_SECONDS: a connection that was never made (nothing was sent) is retried for any
  method; a timeout, 408, 429 or 5xx only for an idempotent method (GET, HEAD, OPTIONS, PUT, DELETE),
  a request carrying an idempotency key, or one the caller declares ``safe`` (a POST that only reads).
  A POST that creates something without a key is sent once: the outbox retries it later, as a whole.
- **One log line per attempt** on ``ihospital.core.http``: service, method, host, path, status and
  duration, with the outbox's correlation id when called from a delivery. Secrets are masked by name
  (``masked_*``): Authorization and cookie headers, tokens, signatures, keys and passwords in query
  strings, headers and JSON bodies (bodies only at DEBUG level).
- **One error**, ``HttpError``, raised for no answer or any answer but 2xx. It is an outbox
  ``DeliveryError``: permanent for 3xx and 4xx except 408 and 429 (sending the same request again cannot
  help), transient for 5xx, 408, 429 and no answer. A handler can let it propagate, or catch it to
  translate ``status`` and ``response`` into its own error codes.

``transport`` is the dotted path of an httpx transport class: ``httpx.HTTPTransport`` (the network, the
default) or ``InProcessTransport`` (Django's test client answers in this very process: tests open no
socket); tests may also pass an ``httpx.MockTransport`` instance.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from ihospital.core.outbox import DeliveryError, current_correlation_id

logger = logging.getLogger(__name__)

NETWORK = "httpx.HTTPTransport"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})  # RFC 9110 §9.2.2
TRANSIENT_CLIENT_ERRORS = frozenset({408, 429})
MAX_RETRY_AFTER_SECONDS = 5.0  # a longer Retry-After is left to the outbox's own backoff
MASK = "***"

# Names (of headers, query parameters, JSON fields) whose values never reach a log.
_SECRET_WORDS = re.compile(
    r"authori[sz]ation|cookie|token|secret|passw|signature|credential|private|session|ticket", re.IGNORECASE
)
_SECRET_LAST_PARTS = frozenset({"key", "apikey", "appkey", "sign", "sig", "pwd", "auth"})
_NOT_SECRET = re.compile(r"idempotency", re.IGNORECASE)

_sleep = time.sleep  # tests replace it to see the backoff without waiting


def is_secret_name(name: str) -> bool:
    """True for ``Authorization``, ``access_token``, ``X-Api-Key``, ``sign``, ``appSecret``…"""
    if _NOT_SECRET.search(name):
        return False
    if _SECRET_WORDS.search(name):
        return True
    last = re.split(r"[-_.]", name.lower())[-1]
    return last in _SECRET_LAST_PARTS or name.lower().endswith(("apikey", "appkey"))


def masked_headers(headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
    return {name: MASK if is_secret_name(name) else value for name, value in headers.items()}


def masked_json(value: Any) -> Any:
    """A copy of a decoded JSON value with the values of secret-named fields replaced, at any depth."""
    if isinstance(value, dict):
        return {key: MASK if is_secret_name(str(key)) else masked_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked_json(item) for item in value]
    return value


def masked_target(url: httpx.URL) -> str:
    """``host/path?query`` with secret query parameters masked and no user:password part."""
    query = "&".join(f"{name}={MASK if is_secret_name(name) else value}" for name, value in url.params.multi_items())
    port = f":{url.port}" if url.port else ""
    return f"{url.host}{port}{url.path}" + (f"?{query}" if query else "")


def is_permanent(status: int | None) -> bool:
    """Would sending the same request again get the same refusal? None means nothing answered."""
    if status is None or status in TRANSIENT_CLIENT_ERRORS:
        return False
    return 300 <= status < 500


class HttpError(DeliveryError):
    """A call got no answer (``status`` None: refused connection, timeout) or a non-2xx one.

    ``response`` is the answer, if any, for callers that read the outside system's own error code.
    """

    def __init__(self, message: str, *, status: int | None = None, response: httpx.Response | None = None) -> None:
        super().__init__(message, permanent=is_permanent(status))
        self.status = status
        self.response = response


@cache
def _shared_transport(path: str) -> httpx.BaseTransport:
    """One transport per configured class and process: its connection pool and TLS context are reused
    by every call (building httpx.HTTPTransport alone loads the CA bundle: about 20 ms). httpcore's pool
    is thread-safe."""
    transport: httpx.BaseTransport = import_string(path)()
    return transport


@dataclass(frozen=True)
class Client:
    """Calls to one outside system. Cheap to build: make one per operation, from current settings."""

    service: str  # names the outside system in logs and errors: "cloud-video", "sandbox-pay"
    transport: str | httpx.BaseTransport = NETWORK
    read_timeout: float | None = None  # default HTTP_READ_TIMEOUT_SECONDS
    attempts: int | None = None  # default HTTP_RETRY_ATTEMPTS; 1 sends once whatever happens

    def timeout(self) -> httpx.Timeout:
        read = self.read_timeout if self.read_timeout is not None else settings.HTTP_READ_TIMEOUT_SECONDS
        connect = settings.HTTP_CONNECT_TIMEOUT_SECONDS
        return httpx.Timeout(read, connect=connect, pool=connect)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        idempotency_key: str | None = None,
        safe: bool = False,
    ) -> httpx.Response:
        """Send one request (retried where safe, see the module); return a 2xx answer or raise HttpError.

        ``idempotency_key`` goes out as the ``Idempotency-Key`` header and makes the call safe to
        retry; ``safe=True`` says so for a request that changes nothing (a POST that reads).
        """
        method = method.upper()
        headers = dict(headers or {})
        if idempotency_key:
            headers.setdefault("Idempotency-Key", idempotency_key)
        if correlation_id := current_correlation_id():
            headers.setdefault("X-Correlation-ID", correlation_id)
        retry_safe = safe or bool(idempotency_key) or method in IDEMPOTENT_METHODS
        attempts = max(1, self.attempts if self.attempts is not None else settings.HTTP_RETRY_ATTEMPTS)
        transport = self.transport
        if not isinstance(transport, httpx.BaseTransport):
            transport = _shared_transport(transport)
        # Not closed after use: that would close the shared transport's pool. It holds nothing else.
        client = httpx.Client(transport=transport, timeout=self.timeout(), follow_redirects=False)
        request = client.build_request(method, url, headers=headers, json=json, content=content)
        self._log_body(request, json)
        attempt = 1
        while True:
            try:
                return self._send(client, request, attempt=attempt)
            except HttpError as error:
                wait = self._retry_wait(error, attempt=attempt, retry_safe=retry_safe)
                if attempt >= attempts or wait is None:
                    raise
            _sleep(wait)
            attempt += 1

    def _send(self, client: httpx.Client, request: httpx.Request, *, attempt: int) -> httpx.Response:
        target = masked_target(request.url)
        started = time.monotonic()
        try:
            response = client.send(request)
        except httpx.TransportError as exc:
            self._log(request, target, type(exc).__name__, started, attempt, logging.WARNING)
            message = f"{self.service}: {request.method} {target} got no answer ({type(exc).__name__})"
            raise HttpError(message) from exc
        response.read()
        self._log(
            request,
            target,
            str(response.status_code),
            started,
            attempt,
            logging.INFO if response.is_success else logging.WARNING,
        )
        if not response.is_success:
            status = response.status_code
            message = f"{self.service}: {request.method} {target} answered HTTP {status}"
            raise HttpError(message, status=status, response=response)
        return response

    def _retry_wait(self, error: HttpError, *, attempt: int, retry_safe: bool) -> float | None:
        """Seconds to wait before sending ``error``'s request again, or None when it must not be."""
        if error.status is None:
            # Nothing was sent when no connection could be had: any request may go again.
            never_sent = isinstance(error.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            return self._backoff(attempt) if never_sent or retry_safe else None
        if error.permanent or not retry_safe or error.response is None:
            return None
        header = error.response.headers.get("Retry-After", "")
        if not header.isdigit():
            return self._backoff(attempt)
        return float(header) if float(header) <= MAX_RETRY_AFTER_SECONDS else None

    def _backoff(self, attempt: int) -> float:
        base = settings.HTTP_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
        return base * (0.5 + secrets.randbelow(1000) / 2000)  # jitter: many workers do not retry in step

    def _log(self, request: httpx.Request, target: str, outcome: str, started: float, attempt: int, level: int) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        correlation = current_correlation_id()
        logger.log(
            level,
            "%s %s %s -> %s in %.0f ms (attempt %d%s)",
            self.service,
            request.method,
            target,
            outcome,
            elapsed_ms,
            attempt,
            f", correlation {correlation}" if correlation else "",
            extra={
                "http_service": self.service,
                "http_method": request.method,
                "http_host": request.url.host,
                "http_path": request.url.path,
                "http_status": outcome,
                "http_duration_ms": round(elapsed_ms),
                "correlation_id": correlation,
            },
        )

    def _log_body(self, request: httpx.Request, json: Any) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        if json is None and "json" in request.headers.get("content-type", ""):
            try:
                json = jsonlib.loads(request.content)
            except ValueError:
                json = None
        body = (
            f"<{len(request.content)} bytes>" if json is None else jsonlib.dumps(masked_json(json), ensure_ascii=False)
        )
        logger.debug(
            "%s %s %s headers %s body %s",
            self.service,
            request.method,
            masked_target(request.url),
            masked_headers(request.headers),
            body,
        )


class InProcessTransport(httpx.BaseTransport):
    """Answers through Django's test client, in this very process: the outside system is one of our own
    sandboxes' views, and tests open no socket. A view that crashes answers 500, as a server would."""

    DROPPED_HEADERS = frozenset({"host", "content-length", "content-type", "accept-encoding", "connection"})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from django.test import Client  # only this transport needs the test machinery

        request.read()
        headers = {name: value for name, value in request.headers.items() if name.lower() not in self.DROPPED_HEADERS}
        answer = Client(raise_request_exception=False).generic(
            request.method,
            request.url.raw_path.decode("ascii"),
            data=request.content,
            content_type=request.headers.get("content-type", "application/octet-stream"),
            headers=headers,
        )
        # The test client has closed the answer already (a streamed one closes once read); closing it
        # again here would fire request_finished, which closes the test's database connection.
        content = answer.getvalue()  # the whole body, streamed or not
        response_headers = [(name, value) for name, value in answer.items() if name.lower() != "content-length"]
        return httpx.Response(answer.status_code, headers=response_headers, content=content, request=request)
