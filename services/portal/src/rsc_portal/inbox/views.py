"""The inbox of every signed-in user: notifications (unread first), mark one or all read, the unread
count, and the e-mail preferences per category (immediate, daily digest, off; mandatory ones stay on)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rsc_portal.backend import ApiError
from rsc_portal.security.deps import CurrentSession
from rsc_portal.security.session import PortalSession
from rsc_portal.templating import render

router = APIRouter()

NOTIFICATIONS = "notifications"
MODES = ("immediate", "digest", "off")
# The notification categories the catalogue names (others are shown by their key).
CATEGORIES = frozenset({
    "submissions", "information_requests", "decisions", "safeguards", "grant_obligations", "cases", "sla",
    "incidents", "screening", "exercises", "integrity",
})  # fmt: skip


def safe_link(link: object) -> str | None:
    """Only web links are shown as links (a notification's link is data from another service)."""
    if isinstance(link, str) and (
        link.startswith(("https://", "http://")) or (link.startswith("/") and not link.startswith("//"))
    ):
        return link
    return None


async def _unread(request: Request, session: PortalSession) -> int:
    answer = await request.app.state.backend.get(session, NOTIFICATIONS, "/v1/inbox/unread-count")
    return int(answer.get("unread", 0))


@router.get("/inbox")
async def inbox(request: Request, session: CurrentSession) -> Response:
    items = await request.app.state.backend.get(session, NOTIFICATIONS, "/v1/inbox")
    for item in items:
        item["safe_link"] = safe_link(item.get("link"))
    unread = sum(1 for item in items if not item.get("read_at"))
    done = request.query_params.get("done")
    context = {
        "items": items,
        "unread": unread,
        "done": done if done in ("read", "all_read") else None,
        "categories_known": CATEGORIES,
    }
    return render(request, "inbox/inbox.html", context)


@router.get("/inbox/unread-count")
async def unread_count(request: Request, session: CurrentSession, badge: bool = False) -> Response:
    """A small fragment (for htmx): the inbox page's counter, or (`badge`) the number in the navigation."""
    template = "inbox/_badge.html" if badge else "inbox/_unread.html"
    return render(request, template, {"unread": await _unread(request, session), "oob": False})


@router.post("/inbox/read-all")
async def read_all(request: Request, session: CurrentSession) -> Response:
    await request.app.state.backend.post(session, NOTIFICATIONS, "/v1/inbox/read-all")
    return RedirectResponse("/inbox?done=all_read", status_code=303)


@router.post("/inbox/{item_id}/read")
async def read_one(request: Request, session: CurrentSession, item_id: uuid.UUID) -> Response:
    item = await request.app.state.backend.post(session, NOTIFICATIONS, f"/v1/inbox/{item_id}/read")
    if request.headers.get("HX-Request") == "true":
        item["safe_link"] = safe_link(item.get("link"))
        row = render(request, "inbox/_item.html", {"item": item, "categories_known": CATEGORIES})
        count = render(request, "inbox/_unread.html", {"unread": await _unread(request, session), "oob": True})
        return HTMLResponse(bytes(row.body) + bytes(count.body))
    return RedirectResponse("/inbox?done=read", status_code=303)


async def _preferences_page(
    request: Request, session: PortalSession, *, errors: dict[str, str] | None = None, status_code: int = 200,
    chosen: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    preferences = await request.app.state.backend.get(session, NOTIFICATIONS, "/v1/preferences")
    for p in preferences:
        if chosen and p["category"] in chosen and not p.get("mandatory"):
            p["mode"] = chosen[p["category"]]
    context = {
        "preferences": preferences,
        "modes": MODES,
        "categories_known": CATEGORIES,
        "errors": errors or {},
        "saved": request.query_params.get("saved") == "1" and not errors,
    }
    return render(request, "inbox/preferences.html", context, status_code=status_code)


@router.get("/inbox/preferences")
async def preferences(request: Request, session: CurrentSession) -> Response:
    return await _preferences_page(request, session)


@router.post("/inbox/preferences")
async def save_preferences(request: Request, session: CurrentSession) -> Response:
    form = await request.form()
    current = await request.app.state.backend.get(session, NOTIFICATIONS, "/v1/preferences")
    chosen: dict[str, str] = {}
    errors: dict[str, str] = {}
    for p in current:
        category = p["category"]
        value = form.get(f"mode_{category}")
        if not isinstance(value, str) or p.get("mandatory"):
            continue  # mandatory categories are not offered (the API refuses them anyway)
        if value not in MODES:
            errors[category] = "inbox.error_mode"
            continue
        chosen[category] = value
        if value == p.get("mode"):
            continue
        try:
            await request.app.state.backend.put(session, NOTIFICATIONS, f"/v1/preferences/{category}", {"mode": value})
        except ApiError as exc:
            if exc.status not in (400, 404, 422):
                raise
            errors[category] = exc.detail or exc.title
    if errors:
        return await _preferences_page(request, session, errors=errors, status_code=422, chosen=chosen)
    return RedirectResponse("/inbox/preferences?saved=1", status_code=303)
