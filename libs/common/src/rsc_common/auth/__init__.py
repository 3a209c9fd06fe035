"""Keycloak authentication: offline token verification, FastAPI dependencies, service tokens."""

from rsc_common.auth.dependencies import (
    CurrentPrincipal,
    OptionalPrincipal,
    RequireRoles,
    get_principal,
    get_token_verifier,
)
from rsc_common.auth.errors import AuthenticationError, AuthError, AuthUnavailableError
from rsc_common.auth.principal import Principal
from rsc_common.auth.roles import Role
from rsc_common.auth.service_tokens import ServiceTokenProvider
from rsc_common.auth.settings import AuthSettings
from rsc_common.auth.verifier import ALLOWED_ALGORITHMS, TokenVerifier

__all__ = [
    "ALLOWED_ALGORITHMS",
    "AuthError",
    "AuthSettings",
    "AuthUnavailableError",
    "AuthenticationError",
    "CurrentPrincipal",
    "OptionalPrincipal",
    "Principal",
    "RequireRoles",
    "Role",
    "ServiceTokenProvider",
    "TokenVerifier",
    "get_principal",
    "get_token_verifier",
]
