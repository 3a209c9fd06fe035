"""/login, /auth/callback, /logout."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from rsc_portal.security.deps import OptionalSession
from rsc_portal.security.oidc import LoginAttempt, SignInError
from rsc_portal.security.session import PortalSession
from rsc_portal.security.store import LOGIN_COOKIE, LOGIN_MAX_AGE
from rsc_portal.templating import render

router = APIRouter(tags=["sign-in"])
logger = logging.getLogger(__name__)


def safe_next(path: str | None) -> str:
    """Only a path on this portal: never an open redirect to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@router.get("/login")
async def login(request: Request, session: OptionalSession, next: str | None = None) -> Response:
    if session is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    app = request.app.state
    attempt = LoginAttempt.new(safe_next(next))
    response = RedirectResponse(app.oidc.authorize_url(attempt, request.state.locale), status_code=303)
    sealed = app.sessions.login_codec.seal(attempt.__dict__)
    response.set_cookie(
        LOGIN_COOKIE, sealed, max_age=LOGIN_MAX_AGE, path="/auth", secure=app.settings.cookie_secure,
        httponly=True, samesite="lax",
    )  # fmt: skip
    return response


@router.get("/auth/callback")
async def callback(
    request: Request, state: str | None = None, code: str | None = None, error: str | None = None
) -> Response:
    app = request.app.state
    sealed = request.cookies.get(LOGIN_COOKIE)
    data = app.sessions.login_codec.open(sealed, max_age=LOGIN_MAX_AGE) if sealed else None
    attempt = LoginAttempt(**data) if data else None
    problem = None
    if error:
        problem = "signin.refused"
    elif attempt is None or state != attempt.state or not code:
        problem = "signin.expired"  # no matching attempt: a stale tab, a replay or a forged callback
    else:
        try:
            principal, tokens = await app.oidc.exchange_code(code, attempt)
        except SignInError as exc:
            logger.warning("sign-in failed: %s", exc)
            problem = "signin.failed"
    if problem is not None:
        response = render(request, "errors/signin.html", {"problem": problem}, status_code=400)
    else:
        app.sessions.start(request, PortalSession.from_tokens(principal, tokens))
        response = RedirectResponse(attempt.next_path, status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/auth", secure=app.settings.cookie_secure, httponly=True)
    return response


@router.post("/logout")
async def logout(request: Request, session: OptionalSession) -> Response:
    """Ends the Keycloak session too: signing in again asks for the password."""
    if session is not None:
        await request.app.state.oidc.logout(session.refresh_token)
    request.app.state.sessions.end(request)
    return RedirectResponse("/?signed_out=1", status_code=303)
