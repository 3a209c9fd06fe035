"""FastAPI wiring: bearer token → `Principal`, and role checks.

A route declares ``principal: Annotated[Principal, Depends(RequireRoles(Role.case_officer))]``,
or ``principal: CurrentPrincipal`` when any authenticated caller will do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from rsc_common.auth.errors import AuthenticationError, AuthUnavailableError
from rsc_common.auth.principal import Principal
from rsc_common.auth.roles import Role
from rsc_common.auth.verifier import TokenVerifier

# auto_error=False: we raise our own 401s (with a reason), but the scheme still shows up in OpenAPI.
_bearer = HTTPBearer(auto_error=False, description="Keycloak access token of realm `rsc`")


# The dependencies are `async def`: FastAPI runs a plain `def` dependency in the thread pool, a hop
# per dependency and request that costs more CPU than the work itself once a token is cached.
async def get_token_verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        raise RuntimeError("app.state.token_verifier is not set")
    return verifier


async def get_principal(
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
    # A token verified before (the usual case) is a dictionary look-up, done on the event loop; a
    # new one is verified in the thread pool, so a (rare) JWKS fetch never blocks the event loop.
    principal = verifier.cached(credentials.credentials)
    if principal is None:
        try:
            principal = await run_in_threadpool(verifier.verify, credentials.credentials)
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


async def get_optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    verifier: Annotated[TokenVerifier, Depends(get_token_verifier)],
) -> Principal | None:
    """For routes open to anonymous callers (the confidential tip channel): None without a token;
    a token that is sent must still be valid."""
    if credentials is None:
        return None
    return await get_principal(request, credentials, verifier)


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


class RequireRoles:
    """Dependency that admits callers holding at least one of `roles` (403 otherwise)."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("RequireRoles needs at least one role")
        self.roles = roles

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*self.roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="requires one of the roles: " + ", ".join(self.roles),
            )
        return principal

    def __repr__(self) -> str:
        return f"RequireRoles({', '.join(self.roles)})"
