"""The gateway's WSGI application: the checks in front of spyne, one log line per call, the SOAP faults.

    app = make_app()                 # from settings (GATEWAY_*)
    waitress.serve(app, ...)         # gateway/server.py

Routes: ``POST /his`` (SOAP 1.1), ``GET /his?wsdl`` (the WSDL), ``GET /healthz`` (a trivial answer for
load balancers and the benchmark's baseline). Everything else is 404.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string
from lxml import etree
from spyne.interface.wsdl import Wsdl11
from spyne.server.wsgi import WsgiApplication

from gateway import service, wsse
from ihospital.integrations.his import codec
from ihospital.integrations.his.base import OPERATIONS, HisError

logger = logging.getLogger("gateway")
PATH = "/his"
WSDL_LOCATION = "urn:ihospital:gateway-location"
SOAP_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap11env:Envelope xmlns:soap11env="http://schemas.xmlsoap.org/soap/envelope/"><soap11env:Body>'
    "<soap11env:Fault><faultcode>soap11env:{code}</faultcode><faultstring>{text}</faultstring></soap11env:Fault>"
    "</soap11env:Body></soap11env:Envelope>"
)
# Elements whose values identify a patient: logged masked, never whole.
IDENTIFIERS = {"id_number", "patient_id", "card_no", "name", "phone"}
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

StartResponse = Callable[..., Any]


class Refused(Exception):
    def __init__(self, code: str, text: str, *, status: str = "500 Internal Server Error") -> None:
        super().__init__(text)
        self.code = code
        self.status = status


def mask(value: str) -> str:
    """``3205**********1225``: enough to tell records apart in a log, not enough to identify anyone."""
    if len(value) <= 4:
        return "*" * len(value)
    keep = 2 if len(value) < 10 else 4
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


@dataclass
class Settings:
    callers: dict[str, str]
    allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
    max_bytes: int
    tolerance_seconds: int
    rate_per_minute: int
    his_backend: Callable[[], Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_django(cls) -> Settings:
        callers = {}
        for pair in settings.GATEWAY_CALLERS.split(","):
            if ":" in pair:
                name, password = pair.split(":", 1)
                callers[name.strip()] = password.strip()
        backend = import_string(settings.GATEWAY_HIS_BACKEND)
        return cls(
            callers=callers,
            allowed=[ipaddress.ip_network(item, strict=False) for item in settings.GATEWAY_ALLOWED_ADDRESSES],
            max_bytes=settings.GATEWAY_MAX_REQUEST_BYTES,
            tolerance_seconds=settings.GATEWAY_TIMESTAMP_TOLERANCE_SECONDS,
            rate_per_minute=settings.GATEWAY_RATE_LIMIT_PER_MINUTE,
            his_backend=backend,
        )


class Gateway:
    def __init__(self, config: Settings) -> None:
        self.config = config
        application = service.application(config.his_backend)
        self.soap = WsgiApplication(application, max_content_length=config.max_bytes)
        # Built once now (spyne would build it on the first GET, taking a second); the address is the
        # one each caller used.
        wsdl = Wsdl11(application.interface)
        wsdl.build_interface_document(WSDL_LOCATION)
        self.wsdl = wsdl.get_interface_document()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        if path != PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
            return [b"not found"]
        correlation = environ.get("HTTP_X_CORRELATION_ID", "")
        correlation = correlation if _CORRELATION.match(correlation) else uuid.uuid4().hex
        started = time.monotonic()
        call = {"caller": "-", "operation": "-", "outcome": "ok", "who": ""}
        try:
            self._check_address(environ)
            if method == "GET" and environ.get("QUERY_STRING", "").lower() == "wsdl":
                call["operation"] = "wsdl"
                return self._wsdl(environ, start_response)
            if method != "POST":
                raise Refused("Client.gateway.method", "only POST carries SOAP", status="405 Method Not Allowed")
            body = self._read_body(environ)
            envelope = self._parse(body)
            call["operation"] = self._operation(envelope)
            call["who"] = self._identifiers(envelope)
            call["caller"] = self._authenticate(envelope)
            self._rate_limit(call["caller"])
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self._forward(environ, start_response, call)
        except Refused as refusal:
            call["outcome"] = refusal.code
            text = SOAP_FAULT.format(code=escape(refusal.code), text=escape(str(refusal))).encode()
            start_response(
                refusal.status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(text)))]
            )
            return [text]
        finally:
            logger.info(
                "gateway %s %s from %s by %s%s -> %s in %.0f ms, correlation %s",
                method,
                call["operation"],
                environ.get("REMOTE_ADDR", "?"),
                call["caller"],
                f" ({call['who']})" if call["who"] else "",
                call["outcome"],
                (time.monotonic() - started) * 1000,
                correlation,
                extra={"correlation_id": correlation},
            )

    def _wsdl(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = (
            environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
        )
        location = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{PATH}"
        document = self.wsdl.replace(WSDL_LOCATION.encode(), escape(location, {'"': "&quot;"}).encode())
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(document)))])
        return [document]

    def _check_address(self, environ: dict[str, Any]) -> None:
        try:
            address = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError as exc:
            raise Refused("Client." + HisError.FORBIDDEN, "client address not allowed", status="403 Forbidden") from exc
        if not any(address in network for network in self.config.allowed):
            raise Refused("Client." + HisError.FORBIDDEN, "client address not allowed", status="403 Forbidden")

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > self.config.max_bytes:
            raise Refused("Client.gateway.too_large", "request too large", status="413 Payload Too Large")
        body = environ["wsgi.input"].read(
            min(declared, self.config.max_bytes + 1) if declared else self.config.max_bytes + 1
        )
        if len(body) > self.config.max_bytes:
            raise Refused("Client.gateway.too_large", "request too large", status="413 Payload Too Large")
        return body

    def _parse(self, body: bytes) -> etree._Element:
        try:
            envelope = codec.parse_xml(body)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise Refused("Client.gateway.malformed", f"malformed XML: {exc}") from exc
        if envelope.tag != f"{{{wsse.SOAP11}}}Envelope":
            raise Refused("Client.gateway.malformed", "not a SOAP 1.1 envelope")
        return envelope

    def _operation(self, envelope: etree._Element) -> str:
        body = envelope.find(f"{{{wsse.SOAP11}}}Body")
        first = next(iter(body), None) if body is not None else None
        name = etree.QName(first).localname if first is not None else ""
        if first is None or etree.QName(first).namespace != service.NAMESPACE or name not in OPERATIONS:
            raise Refused("Client.gateway.unknown_operation", "operation not offered")
        return name

    def _identifiers(self, envelope: etree._Element) -> str:
        found = []
        for element in envelope.iter(f"{{{service.NAMESPACE}}}*"):
            name = etree.QName(element).localname
            if name in IDENTIFIERS and element.text:
                found.append(f"{name}={mask(element.text.strip())}")
        return ", ".join(found[:4])

    def _authenticate(self, envelope: etree._Element) -> str:
        try:
            return wsse.authenticate(
                envelope, callers=self.config.callers, tolerance_seconds=self.config.tolerance_seconds
            )
        except wsse.AuthFailed as failure:
            logger.warning("gateway authentication failed: %s", failure)
            raise Refused("Client." + HisError.AUTH_FAILED, "authentication failed") from failure

    def _rate_limit(self, caller: str) -> None:
        window = int(time.time() // 60)
        key = f"gateway:rate:{caller}:{window}"
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1
        if count > self.config.rate_per_minute:
            raise Refused(
                "Server." + HisError.RATE_LIMITED, "too many calls; slow down", status="429 Too Many Requests"
            )

    def _forward(self, environ: dict[str, Any], start_response: StartResponse, call: dict[str, str]) -> Iterable[bytes]:
        status_seen: list[str] = []

        def recording_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status_seen.append(status)
            return start_response(status, headers, *args)

        answer = b"".join(self.soap(environ, recording_start_response))
        if status_seen and not status_seen[0].startswith("200"):
            match = re.search(rb"<faultcode>(?:[\w-]+:)?([^<]+)</faultcode>", answer)
            call["outcome"] = match.group(1).decode() if match else status_seen[0]
        return [answer]


def make_app() -> Gateway:
    return Gateway(Settings.from_django())
