"""The start page (a dashboard of the user's areas) and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from rsc_portal.security.deps import OptionalSession
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
