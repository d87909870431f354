"""Authentication for the APIs: Bearer tokens for apps, the Django session (with CSRF) for the web UI.
Each audience admits only its roles; anyone else is treated as not signed in (401)."""

from __future__ import annotations

from collections.abc import Iterable

from ninja.security import HttpBearer, SessionAuth

from ihospital.accounts.selectors import user_for_api_token


class RoleBearer(HttpBearer):
    def __init__(self, roles: Iterable[str]) -> None:
        self.roles = frozenset(roles)
        super().__init__()

    def authenticate(self, request, token: str):
        user = user_for_api_token(token)
        if user is not None and user.role in self.roles:
            request.user = user
            return user
        return None


class RoleSession(SessionAuth):
    def __init__(self, roles: Iterable[str]) -> None:
        self.roles = frozenset(roles)
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and user.role in self.roles:
            return user
        return None


def audience(*roles: str) -> list:
    """The auth list for a router: a token or a session of one of ``roles``."""
    return [RoleBearer(roles), RoleSession(roles)]
