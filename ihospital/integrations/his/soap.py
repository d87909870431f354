"""The HIS client that calls the forwarding gateway over SOAP (zeep), with WS-Security UsernameToken.

    HIS_CLIENT=ihospital.integrations.his.soap.SoapHis
    HIS_GATEWAY_URL=https://his-gateway.hospital.internal/his

zeep parses with ``forbid_external``, ``forbid_dtd`` and ``forbid_entities`` (a hostile or broken
gateway cannot make us fetch or expand anything) and strict schema checks. Its HTTP goes through
``core.http.Client`` (connect/read timeouts, masked logs, the correlation id header) over
``GatewayTransport``, which adds the optional client certificate (mutual TLS) and CA bundle. Calls are
sent once: the breaker (``guard``) and the outbox retry, not the HTTP layer. SOAP faults carry the
gateway's stable codes (``Client.his.not_found``) and become ``HisError`` codes.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import typing
from typing import Any

import httpx
import zeep
import zeep.exceptions
from django.conf import settings
from lxml import etree
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

from ihospital.core import http
from ihospital.integrations.his import codec
from ihospital.integrations.his.base import OPERATIONS, HisError
from ihospital.integrations.his.guard import GuardedOperations

_CODE = re.compile(r"(his\.[a-z_]+)")
_services: dict[tuple[str, str, str], Any] = {}
BINDING = "{urn:ihospital:his-gateway:1}HisGateway"
_lock = threading.Lock()


class GatewayTransport(httpx.HTTPTransport):
    """The network, with HIS_GATEWAY_CLIENT_CERT/KEY presented and HIS_GATEWAY_CA_BUNDLE trusted if set."""

    def __init__(self) -> None:
        cert = settings.HIS_GATEWAY_CLIENT_CERT
        key = settings.HIS_GATEWAY_CLIENT_KEY
        super().__init__(
            cert=(cert, key) if cert and key else (cert or None),
            verify=settings.HIS_GATEWAY_CA_BUNDLE or True,
        )


class _ZeepOverCoreHttp(zeep.Transport):
    """zeep's transport, sending through core.http (a SOAP fault's HTTP 500 is handed back to zeep)."""

    def __init__(self) -> None:
        super().__init__()

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> Any:
        try:
            return _calls().request("POST", address, content=message, headers=headers)
        except http.HttpError as error:
            if error.response is not None and error.response.content:
                return error.response
            raise

    def _load_remote_data(self, url: str) -> bytes:
        # The WSDL is read once per process, with the ordinary HTTP read timeout.
        return http.Client(service="his-gateway", transport=settings.HIS_GATEWAY_TRANSPORT).request("GET", url).content


def _calls() -> http.Client:
    """Made per call from the current settings (cheap: the transport and its pool are shared)."""
    return http.Client(
        service="his-gateway",
        transport=settings.HIS_GATEWAY_TRANSPORT,
        read_timeout=settings.HIS_READ_TIMEOUT_SECONDS,
        attempts=1,
    )


def _service() -> Any:
    """The gateway's operations, bound to HIS_GATEWAY_URL (the WSDL is read once per process and URL).
    The UsernameToken makes a fresh nonce and Created for every message."""
    url = settings.HIS_GATEWAY_URL
    key = (url, settings.HIS_GATEWAY_USERNAME, settings.HIS_GATEWAY_PASSWORD)
    with _lock:
        if key not in _services:
            client = zeep.Client(
                f"{url}?wsdl",
                transport=_ZeepOverCoreHttp(),
                wsse=UsernameToken(key[1], key[2], use_digest=True, zulu_timestamp=True),
                settings=zeep.Settings(
                    strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True
                ),
            )
            _services[key] = client.create_service(BINDING, url)
        return _services[key]


def forget_clients() -> None:
    with _lock:
        _services.clear()


def _array_item_name(tp: Any) -> str:
    """The element name the gateway gives an array's items (spyne's rule: the item type's name)."""
    if tp is str:
        return "string"
    name = tp.__name__
    return f"{name}Result" if name in OPERATIONS else name


def _zeep_value(cls: type, obj: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    value: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        item = getattr(obj, f.name)
        if isinstance(item, tuple):
            (inner,) = typing.get_args(hints[f.name])[:1]
            items = [_zeep_value(inner, x) if dataclasses.is_dataclass(x) else x for x in item]
            value[f.name] = {_array_item_name(inner): items} if items else None
        elif dataclasses.is_dataclass(item):
            value[f.name] = _zeep_value(type(item), item)
        else:
            value[f.name] = item
    return value


def _fault_error(fault: zeep.exceptions.Fault) -> HisError:
    code_text = str(fault.code or "")
    match = _CODE.search(code_text)
    if match and match.group(1) in HisError.CODES:
        return HisError(f"gateway: {fault.message}", code=match.group(1))
    if "Client" in code_text:
        return HisError(f"gateway refused: {code_text} {fault.message}", code=HisError.INVALID_REQUEST)
    return HisError(f"gateway failed: {code_text} {fault.message}", code=HisError.UNAVAILABLE)


def _transport_error(error: http.HttpError) -> HisError:
    if isinstance(error.__cause__, httpx.TimeoutException) and not isinstance(error.__cause__, httpx.ConnectTimeout):
        return HisError(f"gateway did not answer in time: {error}", code=HisError.TIMEOUT)
    if error.status is None or error.status >= 500 or error.status in (408, 429):
        return HisError(f"gateway unavailable: {error}", code=HisError.UNAVAILABLE)
    return HisError(f"gateway refused: {error}", code=HisError.INVALID_REQUEST)


class SoapHis(GuardedOperations):
    name = "soap"

    def _call(self, operation: str, request: Any) -> Any:
        op = OPERATIONS[operation]
        try:
            answer = _service()[operation](request=_zeep_value(op.request, request))
        except zeep.exceptions.Fault as fault:
            raise _fault_error(fault) from fault
        except http.HttpError as error:
            raise _transport_error(error) from error
        except (zeep.exceptions.Error, etree.XMLSyntaxError, ValueError, TypeError) as exc:
            raise HisError(f"gateway answered something unreadable: {exc}", code=HisError.BAD_REPLY) from exc
        data = serialize_object(answer, dict)
        fields = dataclasses.fields(op.reply)
        if len(fields) == 1 and not (isinstance(data, dict) and fields[0].name in data):
            data = {fields[0].name: data}  # zeep unwraps a reply of one element
        try:
            return codec.from_dict(op.reply, data)
        except (TypeError, ValueError, KeyError) as exc:
            raise HisError(f"gateway reply to {operation} does not fit: {exc}", code=HisError.BAD_REPLY) from exc
