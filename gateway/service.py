"""The gateway's SOAP service (spyne), derived from ``ihospital.integrations.his.base.OPERATIONS``: every
request and reply dataclass becomes a complex type of one namespace, every operation an rpc method that
takes ``request`` and forwards it to the HIS back end through the vendor translation."""

from __future__ import annotations

import dataclasses
import typing
from datetime import date, datetime
from functools import cache
from typing import Any

from spyne import Application, Array, Boolean, ComplexModel, Date, DateTime, Fault, Integer64, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11

from ihospital.integrations.his import codec, vendor
from ihospital.integrations.his.base import OPERATIONS, HisError, Operation

NAMESPACE = "urn:ihospital:his-gateway:1"
MAX_TEXT = 4000
MAX_BASE64 = 24 * 1024 * 1024  # a ``*_base64`` field: one DICOM file (a key image), base64


def fault_code(error: HisError) -> str:
    """``Client.his.not_found`` for the caller's mistakes (permanent), ``Server.his.unavailable`` otherwise."""
    return ("Client." if error.permanent else "Server.") + error.code


def _spyne_type(tp: Any, *, required: bool) -> Any:
    inner = codec._optional_inner(tp)
    optional = inner is not tp
    occurs = {"min_occurs": 1 if required and not optional else 0, "nillable": optional}
    if typing.get_origin(inner) is tuple:
        (item,) = typing.get_args(inner)[:1]
        # Plain Unicode items: their element is <string> (a customised type would get a generated name).
        return Array(Unicode if item is str else _spyne_type(item, required=True), min_occurs=0)
    if dataclasses.is_dataclass(inner):
        return model(inner).customize(**occurs)  # type: ignore[arg-type]
    if inner is bool:
        return Boolean(**occurs)
    if inner is int:
        return Integer64(**occurs)
    if inner is datetime:
        return DateTime(**occurs)
    if inner is date:
        return Date(**occurs)
    return Unicode(max_len=MAX_TEXT, **occurs)


@cache
def model(cls: type) -> type[ComplexModel]:
    hints = typing.get_type_hints(cls)
    type_info = []
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if f.name.endswith("_base64"):
            type_info.append((f.name, Unicode(max_len=MAX_BASE64, min_occurs=1)))
            continue
        type_info.append((f.name, _spyne_type(hints[f.name], required=required)))
    # A type may not share its name with an operation's element (VisitHistory, ExamReport).
    name = f"{cls.__name__}Result" if cls.__name__ in OPERATIONS else cls.__name__
    return type(name, (ComplexModel,), {"__namespace__": NAMESPACE, "_type_info": type_info})


def _plain(value: Any) -> Any:
    """A spyne instance (or list of them) as plain dicts and lists."""
    if isinstance(value, ComplexModel):
        return {name: _plain(getattr(value, name, None)) for name in type(value)._type_info}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _spyne(cls: type, obj: Any) -> Any:
    """A reply dataclass as an instance of its spyne model."""
    values = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, tuple):
            value = [_spyne(type(item), item) if dataclasses.is_dataclass(item) else item for item in value]
        elif dataclasses.is_dataclass(value):
            value = _spyne(type(value), value)
        values[f.name] = value
    return model(cls)(**values)


def forward(ctx: Any, operation: Operation, request: Any) -> Any:
    backend = ctx.app.his_backend()
    try:
        his_request = codec.from_dict(operation.request, _plain(request))
        reply = vendor.invoke(backend, operation.name, his_request)
    except HisError as error:
        raise Fault(faultcode=fault_code(error), faultstring=str(error)) from error
    return _spyne(operation.reply, reply)


def _method(operation: Operation) -> Any:
    def handler(ctx: Any, request: Any) -> Any:
        return forward(ctx, operation, request)

    handler.__name__ = operation.name
    return rpc(model(operation.request), _returns=model(operation.reply), _body_style="wrapped")(handler)


def application(his_backend: Any) -> Application:
    service = type("HisGateway", (ServiceBase,), {op.name: _method(op) for op in OPERATIONS.values()})
    app = Application(
        [service],
        tns=NAMESPACE,
        name="HisGateway",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    app.his_backend = his_backend
    return app
