"""CSRF protection: a synchroniser token per session, required on every state-changing request, in the
`csrf_token` form field or (htmx) the `X-CSRF-Token` header. SameSite=Lax cookies are the second layer."""

from __future__ import annotations

import hmac

from fastapi import Request

from rsc_portal.security.errors import CsrfRejected, SignInRequired

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


async def verify_csrf(request: Request) -> None:
    """Router-wide dependency; a route without it cannot change anything (tests/portal check all routes)."""
    if request.method in SAFE_METHODS:
        return
    session = await request.app.state.sessions.load(request)
    if session is None:
        raise SignInRequired()
    supplied = request.headers.get(HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached on the request: the endpoint reads the same form
            value = form.get(FIELD)
            supplied = value if isinstance(value, str) else None
    if not supplied or not hmac.compare_digest(supplied.encode(), session.csrf.encode()):
        raise CsrfRejected()
