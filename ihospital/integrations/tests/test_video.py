"""Video providers: the cloud adapter against the cloud-video sandbox (in process, no sockets), the
sandbox's strict token check, and the built-in provider's TURN REST credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from datetime import UTC, datetime

import httpx
import jwt
import pytest
from django.test import override_settings

from ihospital.core.checks import CLOUD_VIDEO_PROVIDER, video_settings_check
from ihospital.core.http import InProcessTransport
from ihospital.integrations.models import SandboxMeeting
from ihospital.integrations.video import provider
from ihospital.integrations.video.base import ENDED, OPEN, MeetingRequest, VideoError
from ihospital.integrations.video.builtin import BuiltinWebRTCProvider
from ihospital.integrations.video.cloud import CloudVideoProvider
from ihospital.integrations.video.sandbox import control

BASE_URL = "http://testserver/sandbox/video/v1"
SECRET = "test-cloud-video-secret-of-at-least-32-bytes"
API_KEY = "hospital-key-1"
ORG_ID = "org-0571"


@pytest.fixture
def cloud(settings, db):
    """The cloud adapter as the configured provider, talking to the sandbox through the test client."""
    settings.CLOUD_VIDEO_BASE_URL = BASE_URL
    settings.CLOUD_VIDEO_TRANSPORT = "ihospital.core.http.InProcessTransport"
    settings.CLOUD_VIDEO_SANDBOX_ENABLED = True
    settings.CLOUD_VIDEO_SANDBOX_LATENCY_SECONDS = 0
    for name, value in {"API_KEY": API_KEY, "API_SECRET": SECRET, "ORG_ID": ORG_ID}.items():
        setattr(settings, f"CLOUD_VIDEO_{name}", value)
        setattr(settings, f"CLOUD_VIDEO_SANDBOX_{name}", value)
    settings.VIDEO_PROVIDER = CLOUD_VIDEO_PROVIDER
    return provider()


def request(key: str = "consultation:1") -> MeetingRequest:
    return MeetingRequest(
        topic="王医生 · 复诊",
        host_name="王医生",
        starts_at=datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
        duration_minutes=20,
        idempotency_key=key,
    )


def post_raw(operation: str, *, authorization: str | None, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    with httpx.Client(transport=InProcessTransport()) as client:
        response = client.post(f"{BASE_URL}/meetings/{operation}", headers=headers, json=body or {"meeting_id": "x"})
    is_json = response.headers.get("content-type", "").startswith("application/json")
    return response.status_code, response.json() if is_json else {}


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(**changes) -> dict:
    return {"api_key": API_KEY, "org_id": ORG_ID, "exp": int(time.time()) + 300, **changes}


def hs512_token() -> str:
    """Signed with the right secret, by an algorithm the platform does not accept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)  # the secret is sized for HS256
        return jwt.encode(claims(), SECRET, algorithm="HS512")


# --- the cloud adapter against the sandbox -----------------------------------------------------------


def test_create_get_delete_round_trip(cloud, client):
    assert isinstance(cloud, CloudVideoProvider)
    meeting = cloud.create_meeting(request())
    assert meeting.provider == "cloud" and meeting.status == OPEN
    assert meeting.topic == "王医生 · 复诊" and meeting.duration_minutes == 20
    assert meeting.starts_at == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    assert meeting.join_url == f"http://testserver/sandbox/video/v1/join/{meeting.meeting_id}/"
    assert client.get(meeting.join_url).status_code == 200

    assert cloud.get_meeting(meeting.meeting_id) == meeting

    cloud.delete_meeting(meeting.meeting_id)
    assert cloud.get_meeting(meeting.meeting_id).status == ENDED
    row = SandboxMeeting.objects.get(meeting_id=meeting.meeting_id)
    assert row.status == SandboxMeeting.Status.ENDED and row.ended_at is not None
    assert client.get(meeting.join_url).status_code == 410
    cloud.delete_meeting(meeting.meeting_id)  # ending it again is not an error


def test_a_retried_create_returns_the_same_meeting(cloud):
    first = cloud.create_meeting(request("consultation:7"))
    again = cloud.create_meeting(request("consultation:7"))
    other = cloud.create_meeting(request("consultation:8"))
    assert again.meeting_id == first.meeting_id
    assert other.meeting_id != first.meeting_id
    assert SandboxMeeting.objects.count() == 2


def test_the_adapter_sends_an_hs256_jwt_with_key_org_and_expiry(cloud):
    token = cloud.token()
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert payload["api_key"] == API_KEY and payload["org_id"] == ORG_ID
    assert payload["exp"] > time.time()


def test_an_expired_token_is_refused_for_good(cloud, settings):
    settings.CLOUD_VIDEO_TOKEN_TTL_SECONDS = -60
    with pytest.raises(VideoError) as raised:
        provider().create_meeting(request())
    assert raised.value.permanent and raised.value.code == VideoError.UNAUTHORIZED
    assert SandboxMeeting.objects.count() == 0


@pytest.mark.parametrize(
    ("setting", "value"),
    [("CLOUD_VIDEO_API_KEY", "someone-else"), ("CLOUD_VIDEO_ORG_ID", "org-9999"), ("CLOUD_VIDEO_API_SECRET", "x" * 40)],
)
def test_wrong_credentials_are_refused_for_good(cloud, settings, setting, value):
    setattr(settings, setting, value)
    with pytest.raises(VideoError) as raised:
        provider().create_meeting(request())
    assert raised.value.permanent and raised.value.code == VideoError.UNAUTHORIZED


def test_an_injected_outage_is_retried_then_transient_and_used_up(cloud, settings):
    settings.HTTP_RETRY_ATTEMPTS = 3
    control.fail_next(4, status=503)
    with pytest.raises(VideoError) as raised:
        cloud.create_meeting(request())  # three attempts, three 503s
    assert not raised.value.permanent and raised.value.code == VideoError.UNAVAILABLE
    assert cloud.create_meeting(request()).status == OPEN  # one more 503, then the meeting
    assert SandboxMeeting.objects.count() == 1


def test_unknown_meetings_and_other_organisations_meetings_are_not_found(cloud, settings):
    meeting = cloud.create_meeting(request())
    with pytest.raises(VideoError) as raised:
        cloud.get_meeting("0" * 32)
    assert raised.value.permanent and raised.value.code == VideoError.NOT_FOUND

    for prefix in ("CLOUD_VIDEO", "CLOUD_VIDEO_SANDBOX"):
        setattr(settings, f"{prefix}_ORG_ID", "another-hospital")
    with pytest.raises(VideoError) as raised:
        provider().get_meeting(meeting.meeting_id)
    assert raised.value.code == VideoError.NOT_FOUND


def test_an_invalid_request_is_refused_for_good(cloud):
    with pytest.raises(VideoError) as raised:
        cloud.create_meeting(MeetingRequest("t", "h", datetime(2026, 12, 1, tzinfo=UTC), 0, "k"))
    assert raised.value.permanent and raised.value.code == VideoError.INVALID_REQUEST


def test_a_timeout_is_retried_then_transient(cloud, settings):
    sent = []

    def hang(request):
        sent.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    settings.HTTP_RETRY_ATTEMPTS = 3
    settings.CLOUD_VIDEO_TRANSPORT = httpx.MockTransport(hang)
    with pytest.raises(VideoError) as raised:
        provider().get_meeting("0" * 32)
    assert not raised.value.permanent and raised.value.code == VideoError.UNAVAILABLE
    assert len(sent) == 3  # reading a meeting is safe to repeat


# --- the sandbox's token check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_authorization", "code"),
    # the headers are made when each test runs, not when the suite is collected: a token made at collection
    # could expire before a slow run reaches its test
    [
        (lambda: None, "missing_token"),
        (lambda: "", "missing_token"),
        (lambda: "Basic aGVsbG86d29ybGQ=", "missing_token"),
        (lambda: "Bearer not-a-jwt", "invalid_token"),
        (
            lambda: "Bearer " + jwt.encode(claims(), "forged-secret-of-at-least-32-bytes!!", algorithm="HS256"),
            "invalid_token",
        ),
        (lambda: "Bearer " + jwt.encode(claims(exp=int(time.time()) - 1), SECRET, algorithm="HS256"), "token_expired"),
        (
            lambda: "Bearer " + jwt.encode({"api_key": API_KEY, "org_id": ORG_ID}, SECRET, algorithm="HS256"),
            "invalid_token",
        ),
        (lambda: "Bearer " + jwt.encode(claims(api_key="someone-else"), SECRET, algorithm="HS256"), "invalid_api_key"),
        (lambda: "Bearer " + jwt.encode(claims(org_id="org-9999"), SECRET, algorithm="HS256"), "invalid_org"),
        (lambda: "Bearer " + hs512_token(), "invalid_token"),
        (lambda: "Bearer " + jwt.encode(claims(), SECRET, algorithm="HS256", headers={"typ": "JWS"}), "invalid_token"),
        (lambda: "Bearer " + f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(claims())}.", "invalid_token"),
    ],
    ids=[
        "missing",
        "empty",
        "basic",
        "garbage",
        "forged",
        "expired",
        "no-exp",
        "wrong-key",
        "wrong-org",
        "hs512",
        "wrong-typ",
        "alg-none",
    ],
)
def test_the_sandbox_refuses_tokens_it_did_not_issue(cloud, make_authorization, code):
    status, answer = post_raw("get", authorization=make_authorization())
    assert status == 401
    assert answer["code"] == code and answer["message"]


def test_the_sandbox_accepts_a_token_it_issued(cloud):
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    status, answer = post_raw("get", authorization=f"Bearer {token}", body={"meeting_id": "nope"})
    assert (status, answer["code"]) == (404, "meeting_not_found")  # past the token check


def test_the_sandbox_is_not_there_unless_enabled(cloud, settings):
    settings.CLOUD_VIDEO_SANDBOX_ENABLED = False
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    status, _answer = post_raw("get", authorization=f"Bearer {token}")
    assert status == 404


# --- the built-in provider -----------------------------------------------------------------------------


def test_builtin_is_the_default_provider_and_makes_local_meetings(settings):
    provider.cache_clear()
    assert isinstance(provider(), BuiltinWebRTCProvider)
    meeting = provider().create_meeting(request())
    assert len(meeting.meeting_id) == 32 and int(meeting.meeting_id, 16) >= 0
    assert (meeting.join_url, meeting.status) == (None, OPEN)
    assert provider().get_meeting(meeting.meeting_id).status == OPEN
    with pytest.raises(VideoError) as raised:
        provider().get_meeting("../etc/passwd")
    assert raised.value.permanent


def test_builtin_ice_servers_without_turn_are_the_configured_ones(settings):
    settings.WEBRTC_ICE_SERVERS = [{"urls": "stun:stun.hospital.example.cn:3478"}]
    settings.TURN_SHARED_SECRET = ""
    settings.TURN_URLS = ["turn:turn.hospital.example.cn:3478"]
    servers = BuiltinWebRTCProvider().ice_servers(user_key="u1")
    assert servers == [{"urls": "stun:stun.hospital.example.cn:3478"}]
    servers[0]["urls"] = "changed"
    assert settings.WEBRTC_ICE_SERVERS == [{"urls": "stun:stun.hospital.example.cn:3478"}]


def test_builtin_ice_servers_carry_turn_rest_credentials_coturn_accepts(settings):
    settings.WEBRTC_ICE_SERVERS = [{"urls": "stun:stun.hospital.example.cn:3478"}]
    settings.TURN_URLS = ["turn:turn.hospital.example.cn:3478?transport=udp", "turns:turn.hospital.example.cn:5349"]
    settings.TURN_SHARED_SECRET = "coturn-static-auth-secret"
    settings.TURN_CREDENTIAL_TTL_SECONDS = 600
    before = int(time.time())
    servers = BuiltinWebRTCProvider().ice_servers(user_key="4f1c2d")
    after = int(time.time())

    assert servers[0] == {"urls": "stun:stun.hospital.example.cn:3478"}
    turn = servers[1]
    assert turn["urls"] == settings.TURN_URLS
    expiry, user_key = turn["username"].split(":")
    assert user_key == "4f1c2d"
    assert before + 600 <= int(expiry) <= after + 600
    # What coturn does with use-auth-secret: recompute the HMAC over the username.
    expected = hmac.new(b"coturn-static-auth-secret", turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected


def test_builtin_refuses_a_user_key_coturn_would_misread(settings):
    settings.TURN_URLS = ["turn:turn.hospital.example.cn:3478"]
    settings.TURN_SHARED_SECRET = "coturn-static-auth-secret"
    with pytest.raises(ValueError):
        BuiltinWebRTCProvider().ice_servers(user_key="a:b")


def test_the_cloud_provider_leaves_ice_to_the_platform(cloud):
    assert cloud.ice_servers(user_key="u1") == []


# --- the deploy check ----------------------------------------------------------------------------------


def test_production_refuses_the_cloud_provider_with_the_development_secret():
    cloud_prod = {"DEBUG": False, "VIDEO_PROVIDER": CLOUD_VIDEO_PROVIDER}
    with override_settings(**cloud_prod, CLOUD_VIDEO_API_SECRET_FROM_ENV=False):
        assert [error.id for error in video_settings_check()] == ["ihospital.E005"]
    with override_settings(**cloud_prod, CLOUD_VIDEO_API_SECRET_FROM_ENV=True, CLOUD_VIDEO_API_SECRET="secret"):
        assert [error.id for error in video_settings_check()] == ["ihospital.E005"]
    with override_settings(**cloud_prod, CLOUD_VIDEO_API_SECRET_FROM_ENV=True, CLOUD_VIDEO_API_SECRET=SECRET):
        assert video_settings_check() == []
    with override_settings(DEBUG=False, CLOUD_VIDEO_API_SECRET_FROM_ENV=False):  # the built-in provider
        assert video_settings_check() == []
