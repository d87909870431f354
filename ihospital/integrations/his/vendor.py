"""How the HIS itself is spoken to: ``Call(FuncCode, XML) -> XML``, the single-entry style of many Chinese
HIS vendors (docs/his.md). This module translates our typed operations to that and back; the in-process
sandbox and the gateway both use it in front of an ``HisBackend`` (the simulated HIS, or an adapter of
a real vendor's interface, which only has to move the two strings).

Request: ``<Request><TransNo>…</TransNo><PatientID>…</PatientID>…</Request>``.
Reply: ``<Response><ResultCode>0</ResultCode><ResultMsg>成功</ResultMsg><Data>…</Data></Response>``;
a ResultCode other than 0 is a refusal, mapped here to an ``HisError`` code.
"""

from __future__ import annotations

from typing import Any, Protocol

from ihospital.integrations.his import codec
from ihospital.integrations.his.base import OPERATIONS, HisError

FUNC_CODES = {
    "FindOrRegisterPatient": "1001",  # 建档
    "RegisterVisit": "2001",  # 挂号登记
    "CancelRegistration": "2002",  # 退号
    "Charge": "3001",  # 收费
    "Refund": "3002",  # 退费
    "VisitHistory": "4001",  # 门诊就诊记录
    "FileRecord": "4002",  # 病历归档
    "DrugCatalogue": "5001",  # 药品目录及库存
    "Pharmacies": "5101",  # 药房信息
    "Dispense": "5102",  # 处方发药申请（扣减库存）
    "CancelDispense": "5103",  # 撤销发药申请（退回库存）
    "ExamCatalogue": "6001",  # 检验检查项目
    "PlaceExamOrder": "6002",  # 检验检查申请
    "ExamOrderStatus": "6003",  # 申请单状态
    "LabResults": "6004",  # LIS 报告
    "ExamReport": "6005",  # PACS 报告
    "PatientReports": "6006",  # 报告列表 (LIS + PACS, in-person visits included)
    "ExamImage": "6007",  # PACS 影像调阅 (one DICOM file)
    "DailyStatement": "7001",  # 对账单
}
OPERATION_OF = {code: name for name, code in FUNC_CODES.items()}

OK = "0"
BUSY = "-1"
NOT_FOUND = "1001"
INVALID = "1002"
CONFLICT = "1003"
UNKNOWN_FUNCTION = "1004"
RESULT_ERRORS = {
    BUSY: HisError.UNAVAILABLE,
    NOT_FOUND: HisError.NOT_FOUND,
    INVALID: HisError.INVALID_REQUEST,
    CONFLICT: HisError.CONFLICT,
    UNKNOWN_FUNCTION: HisError.INVALID_REQUEST,
}


class HisUnreachable(Exception):
    """The HIS did not answer at all (connection refused, host down)."""


class HisBackend(Protocol):
    def call(self, func_code: str, xml: bytes) -> bytes: ...


def request_xml(operation: str, request: Any) -> tuple[str, bytes]:
    return FUNC_CODES[operation], codec.to_vendor_xml("Request", codec.as_dict(request))


def reply_xml(result_code: str, message: str, data: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {"result_code": result_code, "result_msg": message}
    if data is not None:
        body["data"] = data
    return codec.to_vendor_xml("Response", body)


def read_reply(operation: str, xml: bytes) -> Any:
    """The reply dataclass of ``operation`` from the HIS's answer, or HisError."""
    try:
        tag, fields = codec.from_vendor_xml(xml)
    except ValueError as exc:
        raise HisError(f"HIS answered something unreadable: {exc}", code=HisError.BAD_REPLY) from exc
    code = str(fields.get("result_code", ""))
    if tag != "Response" or not code:
        raise HisError("HIS answered without a ResultCode", code=HisError.BAD_REPLY)
    if code != OK:
        error = RESULT_ERRORS.get(code, HisError.UNAVAILABLE)
        raise HisError(f"HIS refused ({code}): {fields.get('result_msg', '')}", code=error)
    try:
        return codec.from_dict(OPERATIONS[operation].reply, fields.get("data") or {})
    except (TypeError, ValueError, KeyError) as exc:
        raise HisError(f"HIS reply to {operation} does not fit: {exc}", code=HisError.BAD_REPLY) from exc


def invoke(backend: HisBackend, operation: str, request: Any) -> Any:
    """Send one typed operation to an HIS back end and read its typed answer."""
    if operation not in OPERATIONS:
        raise HisError(f"unknown HIS operation {operation!r}", code=HisError.INVALID_REQUEST)
    func_code, xml = request_xml(operation, request)
    try:
        answer = backend.call(func_code, xml)
    except HisUnreachable as exc:
        raise HisError(f"HIS unreachable: {exc}", code=HisError.UNAVAILABLE) from exc
    except TimeoutError as exc:
        raise HisError("HIS did not answer in time", code=HisError.TIMEOUT) from exc
    return read_reply(operation, answer)
