"""The outbound HTTP client: timeouts always set, retries only where repeating is safe, secrets never in
the logs, and one error whose ``permanent`` matches the outbox's notion."""

from __future__ import annotations

import logging

import httpx
import pytest

from ihospital.core import http, outbox
from ihospital.core.models import OutboxMessage

URL = "https://platform.example.cn/api/v1/things"


class Platform:
    """A fake outside system behind ``httpx.MockTransport``: answers ``statuses`` in turn (the last one
    forever); an exception class in the list is raised instead, as httpx does when nothing answers."""

    def __init__(self, *statuses, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses) or [200]
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(outcome, type):
            raise outcome("simulated", request=request)
        return httpx.Response(outcome, headers=self.headers, json={"code": "ok" if outcome < 400 else "refused"})

    def client(self, **options) -> http.Client:
        return http.Client(service="test-platform", transport=httpx.MockTransport(self), **options)


@pytest.fixture(autouse=True)
def three_attempts(settings):
    settings.HTTP_RETRY_ATTEMPTS = 3
    settings.HTTP_CONNECT_TIMEOUT_SECONDS = 2
    settings.HTTP_READ_TIMEOUT_SECONDS = 7


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(http, "_sleep", slept.append)
    return slept


# --- timeouts ------------------------------------------------------------------------------------------


def test_every_request_carries_the_configured_connect_and_read_timeouts():
    platform = Platform(200)
    platform.client().request("GET", URL)
    assert platform.requests[0].extensions["timeout"] == {"connect": 2, "read": 7, "write": 7, "pool": 2}


def test_a_client_may_shorten_its_read_timeout():
    platform = Platform(200)
    platform.client(read_timeout=1.5).request("POST", URL, json={})
    assert platform.requests[0].extensions["timeout"] == {"connect": 2, "read": 1.5, "write": 1.5, "pool": 2}


# --- retries -------------------------------------------------------------------------------------------


def test_a_post_without_idempotency_key_is_sent_once_even_if_the_server_fails():
    platform = Platform(503, 200)
    with pytest.raises(http.HttpError) as raised:
        platform.client().request("POST", URL, json={"amount": 1})
    assert len(platform.requests) == 1
    assert raised.value.status == 503 and not raised.value.permanent


def test_a_post_that_timed_out_reading_is_not_sent_again():
    platform = Platform(httpx.ReadTimeout, 200)
    with pytest.raises(http.HttpError) as raised:
        platform.client().request("POST", URL, json={})
    assert len(platform.requests) == 1
    assert raised.value.status is None and not raised.value.permanent


def test_a_post_with_an_idempotency_key_is_retried_and_carries_the_key(waits):
    platform = Platform(503, 502, 200)
    response = platform.client().request("POST", URL, json={}, idempotency_key="refund:42")
    assert response.status_code == 200
    assert len(platform.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in platform.requests} == {"refund:42"}
    assert len(waits) == 2


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_idempotent_methods_are_retried_on_5xx_and_timeouts(method, waits):
    platform = Platform(500, httpx.ReadTimeout, 200)
    assert platform.client().request(method, URL).status_code == 200
    assert len(platform.requests) == 3


def test_a_post_the_caller_declares_safe_is_retried(waits):
    platform = Platform(429, 200)
    assert platform.client().request("POST", URL, json={"meeting_id": "m"}, safe=True).status_code == 200
    assert len(platform.requests) == 2


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_connection_never_made_is_retried_whatever_the_method(failure, waits):
    platform = Platform(failure, 201)
    assert platform.client().request("POST", URL, json={}).status_code == 201
    assert len(platform.requests) == 2


def test_attempts_are_bounded_and_the_last_error_is_raised(waits):
    platform = Platform(503)
    with pytest.raises(http.HttpError) as raised:
        platform.client().request("GET", URL)
    assert len(platform.requests) == 3 and raised.value.status == 503


def test_a_client_with_one_attempt_never_retries(waits):
    platform = Platform(httpx.ConnectError, 200)
    with pytest.raises(http.HttpError):
        platform.client(attempts=1).request("GET", URL)
    assert len(platform.requests) == 1 and waits == []


def test_a_permanent_refusal_is_not_retried_even_when_safe(waits):
    platform = Platform(400, 200)
    with pytest.raises(http.HttpError) as raised:
        platform.client().request("GET", URL)
    assert len(platform.requests) == 1 and raised.value.permanent
    assert raised.value.response is not None and raised.value.response.json() == {"code": "refused"}


def test_the_backoff_doubles_with_jitter(settings, waits):
    settings.HTTP_RETRY_BACKOFF_SECONDS = 1
    platform = Platform(503)
    with pytest.raises(http.HttpError):
        platform.client().request("GET", URL)
    first, second = waits
    assert 0.5 <= first <= 1 and 1 <= second <= 2


def test_a_short_retry_after_is_obeyed_and_a_long_one_left_to_the_outbox(waits):
    platform = Platform(429, 200, headers={"Retry-After": "2"})
    platform.client().request("GET", URL)
    assert waits == [2.0]

    platform = Platform(503, 200, headers={"Retry-After": "120"})
    with pytest.raises(http.HttpError):
        platform.client().request("GET", URL)
    assert len(platform.requests) == 1


def test_redirects_are_not_followed_and_are_refusals():
    platform = Platform(302)
    with pytest.raises(http.HttpError) as raised:
        platform.client().request("GET", URL)
    assert raised.value.status == 302 and raised.value.permanent


# --- error classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (401, True),
        (403, True),
        (404, True),
        (409, True),
        (422, True),
        (408, False),
        (429, False),
        (500, False),
        (502, False),
        (503, False),
        (504, False),
        (None, False),
    ],
)
def test_4xx_but_408_and_429_are_permanent_the_rest_transient(status, permanent):
    assert http.is_permanent(status) is permanent
    error = http.HttpError("x", status=status)
    assert isinstance(error, outbox.DeliveryError) and error.permanent is permanent


# --- logs ----------------------------------------------------------------------------------------------


def test_each_attempt_is_logged_with_method_host_path_status_and_duration(caplog, waits):
    platform = Platform(503, 200)
    with caplog.at_level(logging.INFO, logger="ihospital.core.http"):
        platform.client().request("GET", URL)
    lines = [r for r in caplog.records if r.name == "ihospital.core.http"]
    assert len(lines) == 2
    assert "test-platform GET platform.example.cn/api/v1/things -> 503 in" in lines[0].getMessage()
    assert lines[0].levelno == logging.WARNING and lines[1].levelno == logging.INFO
    assert (lines[1].http_method, lines[1].http_host, lines[1].http_status) == ("GET", "platform.example.cn", "200")
    assert isinstance(lines[1].http_duration_ms, int)


def test_secrets_are_masked_in_urls_headers_and_bodies(caplog):
    platform = Platform(200)
    url = f"{URL}?access_token=tok-123&sign=sig-456&appKey=key-789&page=2"
    body = {"meeting_id": "m-1", "api_secret": "sec-1", "nested": [{"password": "pw-1", "note": "kept"}]}
    with caplog.at_level(logging.DEBUG, logger="ihospital.core.http"):
        platform.client().request(
            "POST",
            url,
            json=body,
            headers={"Authorization": "Bearer jwt-abc", "X-Sandbox-Signature": "rsa-def", "X-Trace": "t-1"},
            idempotency_key="order:7",
        )
    text = caplog.text
    for secret in ("tok-123", "sig-456", "key-789", "sec-1", "pw-1", "jwt-abc", "rsa-def"):
        assert secret not in text
    for kept in ("page=2", "m-1", "kept", "t-1", "order:7", "access_token=***"):
        assert kept in text
    assert platform.requests[0].headers["Authorization"] == "Bearer jwt-abc"  # masked in logs only


def test_errors_carry_the_masked_url_only():
    platform = Platform(403)
    with pytest.raises(http.HttpError) as raised:
        platform.client().request("GET", f"{URL}?token=tok-123")
    assert "tok-123" not in str(raised.value) and "token=***" in str(raised.value)


@pytest.mark.parametrize(
    "name",
    ["Authorization", "Cookie", "access_token", "X-Api-Key", "appSecret", "sign", "private_key", "password"],
)
def test_secret_names(name):
    assert http.is_secret_name(name)


@pytest.mark.parametrize("name", ["meeting_id", "Idempotency-Key", "page", "nonce", "X-Correlation-ID", "keyword"])
def test_names_that_are_not_secret(name):
    assert not http.is_secret_name(name)


# --- from an outbox delivery ---------------------------------------------------------------------------


def test_calls_made_by_an_outbox_handler_carry_and_log_its_correlation_id(db, caplog):
    platform = Platform(200)

    def handler(payload, key):
        platform.client().request("POST", URL, json=payload, idempotency_key=key)

    outbox.register("test.http", handler)
    try:
        message = outbox.enqueue(topic="test.http", payload={}, idempotency_key="k-http", correlation_id="visit-42")
        with caplog.at_level(logging.INFO):
            assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT
    finally:
        outbox.unregister("test.http")
    assert platform.requests[0].headers["X-Correlation-ID"] == "visit-42"
    http_lines = [r.getMessage() for r in caplog.records if r.name == "ihospital.core.http"]
    assert http_lines and all("correlation visit-42" in line for line in http_lines)


def test_outside_a_delivery_no_correlation_header_is_sent():
    platform = Platform(200)
    platform.client().request("GET", URL)
    assert "X-Correlation-ID" not in platform.requests[0].headers


# --- the in-process transport --------------------------------------------------------------------------


def test_the_in_process_transport_answers_from_our_own_views(db):
    client = http.Client(service="self", transport="ihospital.core.http.InProcessTransport")
    with pytest.raises(http.HttpError) as raised:
        client.request("GET", "http://testserver/no-such-page-anywhere/")
    assert raised.value.status == 404 and raised.value.permanent
