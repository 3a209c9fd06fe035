"""Route dependencies: the signed-in user, and the roles a page is for (permission per route)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from rsc_portal.security.errors import Forbidden, SignInRequired
from rsc_portal.security.session import PortalSession


async def optional_session(request: Request) -> PortalSession | None:
    return await request.app.state.sessions.load(request)


async def current_session(request: Request) -> PortalSession:
    session = await request.app.state.sessions.load(request)
    if session is None:
        raise SignInRequired()
    return session


def require(*roles: str) -> Callable[..., Coroutine[Any, Any, PortalSession]]:
    """A dependency admitting users with any of `roles` (the APIs check again: this only spares them a
    page they cannot use)."""

    async def dependency(session: Annotated[PortalSession, Depends(current_session)]) -> PortalSession:
        if not session.has_any(*roles):
            raise Forbidden()
        return session

    return dependency


OptionalSession = Annotated[PortalSession | None, Depends(optional_session)]
CurrentSession = Annotated[PortalSession, Depends(current_session)]
Applicant = Annotated[PortalSession, Depends(require("applicant"))]
Officer = Annotated[PortalSession, Depends(require("case_officer", "security_adviser"))]
Auditor = Annotated[PortalSession, Depends(require("auditor"))]
ReportingOfficer = Annotated[PortalSession, Depends(require("reporting_officer"))]
Admin = Annotated[PortalSession, Depends(require("admin"))]
