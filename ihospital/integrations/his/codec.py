"""Conversions shared by both clients and the gateway: dataclass ⇄ plain dict, and dict ⇄ the HIS's XML.

The HIS speaks like the vendors' systems do (see docs/his.md): one entry point ``Call(FuncCode, XML)``,
its own field names (``PatientID``, ``TransNo``, ``RegSerialNo`` …), money in yuan with two decimals,
times as naive Beijing time ``yyyy-MM-dd HH:mm:ss``, flags as ``1``/``0``. ``to_vendor_xml`` and
``from_vendor_xml`` translate between that and our snake_case fields, fen and aware UTC datetimes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

HOSPITAL_TZ = ZoneInfo("Asia/Shanghai")
ITEM = "Item"

# Our field → the HIS's element name, where it is not simply PascalCase (the ``_fen`` suffix is dropped:
# the HIS counts in yuan).
VENDOR_NAMES = {
    "patient_id": "PatientID",
    "card_no": "CardNo",
    "id_number": "IDCardNo",
    "transaction_id": "TransNo",
    "registration_no": "RegSerialNo",
    "department_code": "DeptCode",
    "doctor_code": "DoctorWorkNo",
    "slot_number": "SeqNo",
    "session_date": "RegDate",
    "period": "TimeSpan",
    "encounter_id": "ClinicSerialNo",
    "receipt_no": "ReceiptNo",
    "trade_no": "PayTradeNo",
    "request_no": "ApplyNo",
    "report_no": "ReportNo",
    "reference": "HisExtRef",
    "result_code": "ResultCode",
    "result_msg": "ResultMsg",
}


def vendor_name(field: str) -> str:
    if field in VENDOR_NAMES:
        return VENDOR_NAMES[field]
    base = field.removesuffix("_fen")
    return "".join(part.capitalize() for part in base.split("_"))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def as_dict(obj: Any) -> Any:
    """A dataclass as nested dicts and lists (dates and datetimes kept as objects)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [as_dict(item) for item in obj]
    return obj


def as_payload(obj: Any) -> Any:
    """A dataclass as JSON-safe nested dicts (dates and datetimes as ISO text): an outbox payload."""
    value = as_dict(obj)
    if isinstance(value, dict):
        return {key: as_payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_payload(item) for item in value]
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return value


def _optional_inner(tp: Any) -> Any:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _convert(tp: Any, value: Any) -> Any:  # noqa: C901 - one branch per field type, kept together
    optional = tp is not _optional_inner(tp)
    tp = _optional_inner(tp)
    if value is None or (optional and value == ""):
        if optional:
            return None
        if typing.get_origin(tp) is tuple:
            return ()
        return tp() if tp in (str, int, bool) else None
    if typing.get_origin(tp) is tuple:
        (inner, *_rest) = typing.get_args(tp)
        if value == "":
            return ()
        if isinstance(value, dict):  # one XML container whose repeated children were read as a dict
            value = list(value.values())[0] if len(value) == 1 else [value]
        if not isinstance(value, list | tuple):
            value = [value]
        return tuple(_convert(inner, item) for item in value)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)  # type: ignore[arg-type]
    if tp is bool:
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true")
    if tp is int:
        return int(value)
    if tp is datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(str(value))
    if tp is date:
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if tp is str:
        return "" if value is None else str(value)
    return value


def from_dict(cls: type, data: dict[str, Any] | None) -> Any:
    """Build ``cls`` from a dict (as ``as_dict`` made it, or as read from XML/SOAP: strings allowed)."""
    data = data or {}
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(hints[f.name], data[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = _convert(hints[f.name], None)
    return cls(**values)


# --- the HIS's XML -----------------------------------------------------------------------------------
def _vendor_value(field: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if field.endswith("_fen") and isinstance(value, int):
        return f"{Decimal(value) / 100:.2f}"
    if isinstance(value, datetime):
        return value.astimezone(HOSPITAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _append(parent: etree._Element, field: str, value: Any) -> None:
    element = etree.SubElement(parent, vendor_name(field))
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict):
                child = etree.SubElement(element, ITEM)
                for key, sub in item.items():
                    _append(child, key, sub)
            else:
                etree.SubElement(element, ITEM).text = _vendor_value("", item)
    else:
        element.text = _vendor_value(field, value)


def to_vendor_xml(root: str, data: dict[str, Any]) -> bytes:
    element = etree.Element(root)
    for key, value in data.items():
        _append(element, key, value)
    return etree.tostring(element, encoding="utf-8", xml_declaration=True)


@cache
def _snake_names() -> dict[str, str]:
    from ihospital.integrations.his import base  # the dataclasses name every field the HIS may send

    names: dict[str, str] = {"ResultCode": "result_code", "ResultMsg": "result_msg", "Data": "data"}
    for op in base.OPERATIONS.values():
        stack = [op.request, op.reply]
        while stack:
            cls = stack.pop()
            for f in dataclasses.fields(cls):
                names[vendor_name(f.name)] = f.name
                for arg in (_optional_inner(_hints(cls)[f.name]), *typing.get_args(_hints(cls)[f.name])):
                    if dataclasses.is_dataclass(arg):
                        stack.append(arg)  # type: ignore[arg-type]
    return names


def _from_vendor_value(field: str, text: str) -> Any:
    if field.endswith("_fen"):
        try:
            return int((Decimal(text) * 100).to_integral_value())
        except InvalidOperation as exc:
            raise ValueError(f"{field}: not an amount: {text!r}") from exc
    if field in ("at", "reported_at") and text:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=HOSPITAL_TZ).astimezone(UTC)
    return text


def _read(element: etree._Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    if all(child.tag == ITEM for child in children):
        return [_read(child) for child in children]
    names = _snake_names()
    result: dict[str, Any] = {}
    for child in children:
        field = names.get(str(child.tag), str(child.tag))
        value = _read(child)
        result[field] = _from_vendor_value(field, value) if isinstance(value, str) else value
    return result


SAFE_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
}


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD (so no entity of any kind), no network, no huge trees."""
    root = etree.fromstring(data, etree.XMLParser(**SAFE_PARSER_OPTIONS))  # noqa: S320 - hardened parser
    if root.getroottree().docinfo.doctype:
        raise ValueError("a DOCTYPE is not accepted")
    return root


def from_vendor_xml(data: bytes) -> tuple[str, dict[str, Any]]:
    """(root tag, fields in our names) of the HIS's XML. Raises ValueError when it isn't readable."""
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from exc
    value = _read(root)
    return str(root.tag), value if isinstance(value, dict) else {}
