"""Bad input at the gateway: every refusal is a SOAP fault with a stable code, and none reaches the HIS."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ihospital.integrations.his.tests.conftest import GATEWAY_PASSWORD, gateway_settings

pytestmark = pytest.mark.django_db

TNS = "urn:ihospital:his-gateway:1"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
HISTORY = "<tns:VisitHistory><tns:request><tns:patient_id>00000001</tns:patient_id></tns:request></tns:VisitHistory>"
DIGEST_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
TEXT_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"


def envelope(
    body=HISTORY,
    *,
    username="ihospital-app",
    password=GATEWAY_PASSWORD,
    nonce=None,
    created=None,
    password_type=DIGEST_TYPE,
    security=True,
    prolog="",
):
    nonce = nonce or os.urandom(16)
    created = created or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()
    value = digest if password_type == DIGEST_TYPE else password
    header = (
        (
            f'<soap:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">'
            f"<wsse:UsernameToken><wsse:Username>{username}</wsse:Username>"
            f'<wsse:Password Type="{password_type}">{value}</wsse:Password>'
            f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce><wsu:Created>{created}</wsu:Created>"
            "</wsse:UsernameToken></wsse:Security></soap:Header>"
        )
        if security
        else ""
    )
    return (
        f'{prolog}<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="{TNS}">'
        f"{header}<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


@pytest.fixture
def post(gateway_server):
    def send(data: bytes, **headers):
        return httpx.post(gateway_server.url, content=data, headers={"Content-Type": "text/xml", **headers}, timeout=30)

    return send


def fault_code(response: httpx.Response) -> str:
    match = re.search(r"<faultcode>(?:[\w-]+:)?([^<]+)</faultcode>", response.text)
    return match.group(1) if match else ""


def test_a_well_formed_signed_call_is_answered(post, his_sim):
    response = post(envelope())
    assert response.status_code == 200 and "ClinicSerialNo" not in response.text and "encounter_id" in response.text
    assert his_sim.count("call_log") == 1


def test_the_wsdl_offers_only_the_whitelisted_operations(gateway_server):
    wsdl = httpx.get(gateway_server.url + "?wsdl", timeout=30).text
    from ihospital.integrations.his.base import OPERATIONS

    offered = set(re.findall(r'<wsdl:operation name="(\w+)"', wsdl))
    assert offered == set(OPERATIONS)
    assert gateway_server.url in wsdl


# Each case is built when its test runs (a timestamp made at collection would age while the suite runs).
BAD_INPUT = {
    "unknown operation": (
        lambda: envelope("<tns:DropTables><tns:request/></tns:DropTables>"),
        "Client.gateway.unknown_operation",
    ),
    "operation of another namespace": (
        lambda: envelope('<x:VisitHistory xmlns:x="urn:other"><x:request/></x:VisitHistory>'),
        "Client.gateway.unknown_operation",
    ),
    "no credentials": (lambda: envelope(security=False), "Client.his.auth_failed"),
    "wrong password": (lambda: envelope(password="guess"), "Client.his.auth_failed"),
    "unknown caller": (lambda: envelope(username="mallory"), "Client.his.auth_failed"),
    "plain-text password": (lambda: envelope(password_type=TEXT_TYPE), "Client.his.auth_failed"),
    "stale timestamp": (
        lambda: envelope(created=(datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")),
        "Client.his.auth_failed",
    ),
    "timestamp from the future": (
        lambda: envelope(created=(datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")),
        "Client.his.auth_failed",
    ),
    "malformed XML": (lambda: b"<soap:Envelope><unclosed>", "Client.gateway.malformed"),
    "not a SOAP envelope": (lambda: b"<Request><PatientID>1</PatientID></Request>", "Client.gateway.malformed"),
    "external entity": (
        lambda: envelope(
            HISTORY.replace("00000001", "&xxe;"),
            prolog='<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ),
        "Client.gateway.malformed",
    ),
    "billion laughs": (
        lambda: envelope(
            HISTORY.replace("00000001", "&lol9;"),
            prolog='<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
            + "]>",
        ),
        "Client.gateway.malformed",
    ),
    "oversized": (lambda: envelope(HISTORY.replace("00000001", "0" * 70_000)), "Client.gateway.too_large"),
    "schema violation": (
        lambda: envelope(
            "<tns:VisitHistory><tns:request><tns:since>not a date</tns:since></tns:request></tns:VisitHistory>"
        ),
        "Client.SchemaValidationError",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_a_soap_fault_that_never_reaches_the_his(post, his_sim, case):
    make, code = BAD_INPUT[case]
    response = post(make())
    assert response.status_code >= 400
    assert fault_code(response) == code
    assert "root:" not in response.text  # nothing of /etc/passwd
    assert his_sim.count("call_log") == 0


def test_a_replayed_nonce_is_refused(post, his_sim):
    data = envelope()
    assert post(data).status_code == 200
    replay = post(data)
    assert fault_code(replay) == "Client.his.auth_failed"
    assert his_sim.count("call_log") == 1


def test_a_client_address_outside_the_allowlist_is_refused(his_sim):
    import ipaddress

    from gateway.app import Gateway

    gateway = Gateway(gateway_settings(allowed=[ipaddress.ip_network("10.20.0.0/16")]))
    outside = httpx.Client(transport=httpx.WSGITransport(app=gateway, remote_addr="127.0.0.1"))
    response = outside.post("http://gateway/his", content=envelope(), headers={"Content-Type": "text/xml"})
    assert response.status_code == 403 and fault_code(response) == "Client.his.forbidden"
    inside = httpx.Client(transport=httpx.WSGITransport(app=gateway, remote_addr="10.20.3.4"))
    assert (
        inside.post("http://gateway/his", content=envelope(), headers={"Content-Type": "text/xml"}).status_code == 200
    )
    assert his_sim.count("call_log") == 1


def test_each_caller_is_rate_limited(his_sim):
    from gateway.app import Gateway

    gateway = Gateway(gateway_settings(rate_per_minute=2))
    caller = httpx.Client(transport=httpx.WSGITransport(app=gateway, remote_addr="127.0.0.1"))
    answers = [
        caller.post("http://gateway/his", content=envelope(), headers={"Content-Type": "text/xml"}) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert fault_code(answers[2]) == "Server.his.rate_limited"
    assert his_sim.count("call_log") == 2


def test_each_call_is_logged_with_its_correlation_id_and_masked_identifiers(post, caplog):
    from ihospital.integrations.his.simulated.seed import persona_patients

    id_number = persona_patients(datetime.now(UTC).date())[0][0]
    body = (
        "<tns:FindOrRegisterPatient><tns:request>"
        f"<tns:id_number>{id_number}</tns:id_number><tns:name>艾丽斯</tns:name><tns:sex>female</tns:sex>"
        "<tns:birth_date>1988-04-12</tns:birth_date></tns:request></tns:FindOrRegisterPatient>"
    )
    with caplog.at_level("INFO", logger="gateway"):
        assert post(envelope(body), **{"X-Correlation-ID": "booking-42"}).status_code == 200
    line = next(r.getMessage() for r in caplog.records if "FindOrRegisterPatient" in r.getMessage())
    assert "correlation booking-42" in line and "by ihospital-app" in line
    assert id_number not in caplog.text and "艾丽斯" not in caplog.text
    assert f"id_number={id_number[:4]}" in line


def test_his_refusals_keep_their_codes_through_the_gateway(post):
    body = "<tns:VisitHistory><tns:request><tns:patient_id>99999999</tns:patient_id></tns:request></tns:VisitHistory>"
    response = post(envelope(body))
    assert fault_code(response) == "Client.his.not_found"


def test_the_gateway_process_preloads_its_simulated_his_before_it_listens(monkeypatch, settings):
    """`ihospital gateway` (the demo's gateway) runs the backend module's preload() before listening: the
    simulated HIS imports pydicom then, not during the first ExamImage call (it took seconds in the demo)."""
    from gateway import server
    from ihospital.integrations.his import simulated

    settings.GATEWAY_HIS_BACKEND = "ihospital.integrations.his.simulated.configured"
    steps = []

    class Listening:
        effective_port = 0

        def run(self):
            steps.append("listening")

    monkeypatch.setattr(simulated, "preload", lambda: steps.append("preloaded"))
    monkeypatch.setattr(server, "_server", lambda *args: Listening())
    server.serve("127.0.0.1", 0, 1)
    assert steps == ["preloaded", "listening"]
