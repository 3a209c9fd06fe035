"""The start page (a dashboard of the user's areas) and the language switch."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from rsc_portal.security.deps import CurrentSession, OptionalSession
from rsc_portal.security.views import safe_next
from rsc_portal.templating import render

router = APIRouter()


@router.get("/")
async def home(request: Request, session: OptionalSession, signed_out: bool = False) -> Response:
    return render(request, "home.html", {"signed_out": signed_out})


@router.get("/language")
async def language(request: Request, lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in request.app.state.settings.languages:
        response.set_cookie(
            "rsc_lang", lang, max_age=365 * 86400, path="/", samesite="lax",
            secure=request.app.state.settings.cookie_secure,
        )  # fmt: skip
    return response


@router.get("/account")
async def account(request: Request, session: CurrentSession) -> Response:
    """Who the portal thinks you are: the roles and organisation your token carries, when the session ends."""
    ends_at = session.started_at + request.app.state.settings.session_max_age_seconds
    return render(request, "account.html", {"ends_in_minutes": max(0, int((ends_at - time.time()) // 60))})
