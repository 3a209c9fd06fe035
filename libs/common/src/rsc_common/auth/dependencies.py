"""FastAPI wiring: bearer token → `Principal`, and role checks.

A route declares ``principal: Annotated[Principal, Depends(RequireRoles(Role.case_officer))]``,
or ``principal: CurrentPrincipal`` when any authenticated caller will do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rsc_common.auth.errors import AuthenticationError, AuthUnavailableError
from rsc_common.auth.principal import Principal
from rsc_common.auth.roles import Role
from rsc_common.auth.verifier import TokenVerifier

# auto_error=False: we raise our own 401s (with a reason), but the scheme still shows up in OpenAPI.
_bearer = HTTPBearer(auto_error=False, description="Keycloak access token of realm `rsc`")


def get_token_verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        raise RuntimeError("app.state.token_verifier is not set")
    return verifier


# A plain `def`: FastAPI runs it in the thread pool, so a (rare) JWKS fetch never blocks the event loop.
def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    verifier: Annotated[TokenVerifier, Depends(get_token_verifier)],
) -> Principal:
    if credentials is None:
        # RFC 6750 §3.1: no error code when the request carried no credentials at all.
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        principal = verifier.verify(credentials.credentials)
    except AuthenticationError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=exc.detail,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    except AuthUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=exc.detail) from None
    # For access logs / audit middleware that run outside the endpoint.
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class RequireRoles:
    """Dependency that admits callers holding at least one of `roles` (403 otherwise)."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("RequireRoles needs at least one role")
        self.roles = roles

    def __call__(self, principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*self.roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="requires one of the roles: " + ", ".join(self.roles),
            )
        return principal

    def __repr__(self) -> str:
        return f"RequireRoles({', '.join(self.roles)})"
