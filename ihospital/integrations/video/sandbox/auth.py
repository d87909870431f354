"""The sandbox's check of ``Authorization: Bearer <JWT>``, as strict as the platform's must be.

Anything short of a token we signed ourselves for the configured API key and organisation is refused:
only HS256 (never ``none``, never an algorithm the caller picks: that is how forged tokens get in),
header typ JWT, ``exp`` present and not past (no leeway), then the key and the organisation.
"""

from __future__ import annotations

import hmac
from typing import Any

import jwt
from django.conf import settings
from django.utils.translation import gettext as _


class Unauthorized(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _token_of(authorization: str) -> str:
    scheme, _space, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing_token", _("A Bearer token is required."))
    return token.strip()


def _verified_claims(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid_token", _("The token is malformed.")) from None
    if header.get("alg") != "HS256" or header.get("typ") != "JWT":
        raise Unauthorized("invalid_token", _("Only HS256-signed JWTs are accepted."))
    try:
        return jwt.decode(
            token,
            settings.CLOUD_VIDEO_SANDBOX_API_SECRET,
            algorithms=["HS256"],
            options={"require": ["exp"], "verify_exp": True},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token_expired", _("The token has expired.")) from None
    except jwt.MissingRequiredClaimError:
        raise Unauthorized("invalid_token", _("The token has no expiry.")) from None
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid_token", _("The token is not valid.")) from None


def authenticate(authorization: str) -> dict[str, Any]:
    """The token's claims, or Unauthorized with a code for the JSON error body."""
    claims = _verified_claims(_token_of(authorization))
    if not hmac.compare_digest(str(claims.get("api_key", "")).encode(), settings.CLOUD_VIDEO_SANDBOX_API_KEY.encode()):
        raise Unauthorized("invalid_api_key", _("Unknown API key."))
    if str(claims.get("org_id", "")) != settings.CLOUD_VIDEO_SANDBOX_ORG_ID:
        raise Unauthorized("invalid_org", _("The API key does not belong to this organisation."))
    return claims
