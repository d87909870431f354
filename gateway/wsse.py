"""WS-Security UsernameToken Profile 1.1 with a password digest, checked by hand (spyne has no WS-Security).

    <wsse:Security>
      <wsse:UsernameToken>
        <wsse:Username>ihospital-app</wsse:Username>
        <wsse:Password Type="…#PasswordDigest">Base64(SHA-1(nonce + created + password))</wsse:Password>
        <wsse:Nonce EncodingType="…#Base64Binary">…</wsse:Nonce>
        <wsu:Created>2026-12-07T06:40:00Z</wsu:Created>
      </wsse:UsernameToken>
    </wsse:Security>

A plain-text password is refused (it would cross the network). ``Created`` must be within the
tolerance of our clock, either way; the nonce must not have been seen from that caller within twice the
tolerance (kept in Django's cache: shared by gateway processes on Redis). An optional wsu:Timestamp must
not be expired. Checks compare in constant time and name no reason to the caller beyond "auth failed".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from lxml import etree

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


class AuthFailed(Exception):
    """The reason is for our log only; the caller is told "authentication failed"."""


@dataclass(frozen=True)
class Token:
    username: str
    digest: str
    nonce: bytes
    created: str


def _text(parent: etree._Element, path: str) -> str:
    element = parent.find(path, {"wsse": WSSE, "wsu": WSU})
    return (element.text or "").strip() if element is not None else ""


def read_token(envelope: etree._Element) -> Token:
    security = envelope.find(f"{{{SOAP11}}}Header/{{{WSSE}}}Security")
    if security is None:
        raise AuthFailed("no wsse:Security header")
    token = security.find(f"{{{WSSE}}}UsernameToken")
    if token is None:
        raise AuthFailed("no UsernameToken")
    password = token.find(f"{{{WSSE}}}Password")
    if password is None or password.get("Type") != DIGEST:
        raise AuthFailed("password missing or not a digest")
    try:
        nonce = base64.b64decode(_text(token, "wsse:Nonce"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AuthFailed("nonce is not base64") from exc
    if len(nonce) < 16:
        raise AuthFailed("nonce shorter than 16 bytes")
    expires = _text(security, "wsu:Timestamp/wsu:Expires")
    if expires and _parse_time(expires) < datetime.now(UTC):
        raise AuthFailed("timestamp expired")
    return Token(_text(token, "wsse:Username"), (password.text or "").strip(), nonce, _text(token, "wsu:Created"))


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AuthFailed(f"unreadable time {text!r}") from exc
    if moment.tzinfo is None:
        raise AuthFailed("time without a zone")
    return moment


def expected_digest(token: Token, password: str) -> str:
    # SHA-1 is what the UsernameToken Profile defines; a nonce and a fresh Created make each digest single-use.
    raw = hashlib.sha1(token.nonce + token.created.encode() + password.encode()).digest()  # noqa: S324
    return base64.b64encode(raw).decode("ascii")


def authenticate(envelope: etree._Element, *, callers: dict[str, str], tolerance_seconds: int) -> str:
    """The caller's name, or AuthFailed. Uses up the nonce only once everything else checked out."""
    token = read_token(envelope)
    password = callers.get(token.username)
    # Compare against something even for an unknown caller: the answer takes the same time.
    if not hmac.compare_digest(expected_digest(token, password or "\0unknown"), token.digest) or password is None:
        raise AuthFailed(f"wrong digest or unknown caller {token.username!r}")
    created = _parse_time(token.created)
    if abs(datetime.now(UTC) - created) > timedelta(seconds=tolerance_seconds):
        raise AuthFailed(f"stale or future Created {token.created}")
    nonce_key = "gateway:nonce:" + hashlib.sha256(token.username.encode() + b"\0" + token.nonce).hexdigest()
    if not cache.add(nonce_key, 1, timeout=2 * tolerance_seconds):
        raise AuthFailed("nonce replayed")
    return token.username
