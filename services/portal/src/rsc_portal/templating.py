"""Jinja2 rendering with what every page needs: the translator, the user, the CSRF token, navigation."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from rsc_portal.i18n import translate
from rsc_portal.navigation import entries_for
from rsc_portal.timestamps import parse_datetime as _parse

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
env = TEMPLATES.env
env.trim_blocks = True
env.lstrip_blocks = True


def format_datetime(value: Any) -> str:
    parsed = _parse(value)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if parsed else ("" if value is None else str(value))


def format_date(value: Any) -> str:
    parsed = _parse(value)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d") if parsed else ("" if value is None else str(value))


def seconds_until(value: Any) -> float | None:
    parsed = _parse(value)
    return (parsed - datetime.now(UTC)).total_seconds() if parsed else None


# The CSRF token of the page being rendered, for macros imported without the page's context.
_csrf: ContextVar[str] = ContextVar("csrf", default="")
env.globals["current_csrf"] = _csrf.get

env.filters["datetime"] = format_datetime
env.filters["date"] = format_date
env.globals["seconds_until"] = seconds_until


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    lang = getattr(request.state, "locale", "en")
    session = getattr(request.state, "session", None)

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    _csrf.set(session.csrf if session else "")  # templates render synchronously, right below
    base = {
        "request": request,
        "t": t,
        "lang": lang,
        "languages": request.app.state.settings.languages,
        "user": session,
        "csrf_token": session.csrf if session else "",
        "nav": entries_for(session),
        "is_htmx": request.headers.get("HX-Request") == "true",
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)
