"""Auth failures, kept free of FastAPI so workers and clients can use them too."""

from __future__ import annotations


class AuthError(Exception):
    """Base class; `detail` is a short, human-readable reason that is safe to show to the caller."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AuthenticationError(AuthError):
    """The token is missing, malformed, forged, expired or not meant for us (→ 401)."""


class AuthUnavailableError(AuthError):
    """Keycloak is needed (signing keys, service token) but cannot be reached (→ 503)."""
