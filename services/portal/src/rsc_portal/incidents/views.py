"""incidents pages: the officers' incident list (filters, deadlines in words, htmx refresh), the incident
page (source, grant, deadlines, measures, need-to-know evidence, assignees, history, and the action forms
the state allows), and recording an incident.

Every action is a POST answered with a redirect back to the incident (PRG). The monitoring API enforces
the state machine, the roles and need-to-know; when it refuses (a 4xx problem) the incident page is shown
again with the API's `detail` and field errors beside the form, and the values that were typed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from rsc_portal.backend import ApiError
from rsc_portal.incidents import deadlines, forms
from rsc_portal.security.deps import Officer
from rsc_portal.security.session import PortalSession
from rsc_portal.templating import render

router = APIRouter(tags=["incidents"])
logger = logging.getLogger(__name__)

IncidentId = Annotated[uuid.UUID, Path()]
PAGE_SIZE = 50
SCAN_PAGE = 200  # the API's largest page, for filters the portal applies itself (deadlines)
SCAN_MAX = 1000
REFUSED_STATUS = {400: 400, 403: 403, 409: 409, 422: 400, 429: 429}
# the incident types of the monitoring API (GET /v1/incident-types), if it cannot be asked
TYPES = (
    "undisclosed_affiliation_or_funding",
    "talent_programme_obligations",
    "partner_ownership_or_control_change",
    "unauthorised_transfer",
    "export_control_breach",
    "cyber_incident_or_data_breach",
    "coercion_or_intimidation",
    "suspicious_approach",
    "ethics_or_dissemination_breach",
    "list_hit_on_partner",
    "other",
)
DEADLINE_FILTERS = ("overdue", "due_soon")
# statuses whose deadline the list can tell (the measures' deadlines are only on the incident page)
WITH_LIST_DEADLINE = ("reported", "triaged", "investigating")
DONE = ("triage", "investigation", "dismissal", "measures", "measure", "closure", "evidence", "assignees", "reported")


def _backend(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.backend


async def _types(request: Request, session: PortalSession) -> list[dict[str, str]]:
    try:
        answer = await _backend(request).get(session, "monitoring", "/v1/incident-types")
        types = [{"code": str(t["code"]), "description": str(t.get("description") or "")} for t in answer]
        return types or [{"code": code, "description": ""} for code in TYPES]
    except (ApiError, KeyError, TypeError) as exc:
        if isinstance(exc, ApiError) and exc.status == 401:
            raise
        logger.warning("incident types unavailable: %s", exc)
        return [{"code": code, "description": ""} for code in TYPES]


# ------------------------------------------------------------------------------------------- list


@router.get("/incidents")
async def incident_list(
    request: Request,
    session: Officer,
    status: str = "",
    type: str = "",
    severity: str = "",
    grant_reference: Annotated[str, Query(max_length=100)] = "",
    deadline: str = "",
    exercise: str = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    types = await _types(request, session)
    codes = [t["code"] for t in types]
    filters = {
        "status": status if status in forms.STATUSES else "",
        "type": type if type in codes else "",
        "severity": severity if severity in forms.SEVERITIES else "",
        "grant_reference": grant_reference.strip(),
        "deadline": deadline if deadline in DEADLINE_FILTERS else "",
        "exercise": exercise if exercise in ("true", "false") else "",
    }
    params: dict[str, Any] = {k: filters[k] for k in ("status", "type", "severity", "grant_reference", "exercise")}
    now = datetime.now(UTC)
    scanned_all = True
    if filters["deadline"]:
        # the API has no deadline filter: read the incidents that can have a running deadline, keep the
        # matching ones, page here
        statuses = [s for s in WITH_LIST_DEADLINE if not filters["status"] or s == filters["status"]]
        found: list[dict[str, Any]] = []
        for s in statuses:
            items, complete = await _scan(request, session, {**params, "status": s})
            scanned_all = scanned_all and complete
            found += [i for i in items if deadlines.current(i, now).state == filters["deadline"]]
        found.sort(key=lambda i: str(i.get("reported_at") or ""), reverse=True)
        total, items = len(found), found[offset : offset + PAGE_SIZE]
    else:
        page = await _backend(request).get(
            session, "monitoring", "/v1/incidents", **params, limit=PAGE_SIZE, offset=offset
        )
        items, total = page.get("items") or [], page.get("total", 0)
    rows = [{"incident": i, "deadline": deadlines.current(i, now)} for i in items]
    query = urlencode([(k, v) for k, v in filters.items() if v])
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "filters": filters,
        "query": query,
        "types": types,
        "statuses": forms.STATUSES,
        "severities": forms.SEVERITIES,
        "overdue_count": sum(r["deadline"].state == "overdue" for r in rows),
        "due_soon_count": sum(r["deadline"].state == "due_soon" for r in rows),
        "scanned_all": scanned_all,
        "scan_max": SCAN_MAX,
        "now": now,
    }
    partial = (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"
    )
    return render(request, "incidents/_table.html" if partial else "incidents/list.html", context)


async def _scan(request: Request, session: PortalSession, params: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """Up to SCAN_MAX incidents matching `params`; and whether that was all of them."""
    items: list[dict[str, Any]] = []
    while len(items) < SCAN_MAX:
        page = await _backend(request).get(
            session, "monitoring", "/v1/incidents", **params, limit=SCAN_PAGE, offset=len(items)
        )
        batch = page.get("items") or []
        items += batch
        if not batch or len(items) >= int(page.get("total", 0)):
            return items, True
    return items, False


# ------------------------------------------------------------------------------------- new incident


async def _new_form(
    request: Request,
    session: PortalSession,
    values: dict[str, str],
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "types": await _types(request, session),
        "severities": forms.SEVERITIES,
        "values": values,
        "errors": errors or {},
    }
    return render(request, "incidents/new.html", context, status_code=status_code)


NEW_FIELDS = ("type", "severity", "grant_reference", "title", "description", "occurred_at")


@router.get("/incidents/new")
async def new_incident(request: Request, session: Officer, grant_reference: str = "") -> Response:
    values = {"severity": "medium", "grant_reference": grant_reference.strip()[:100]}
    return await _new_form(request, session, values)


@router.post("/incidents/new")
async def record_incident(request: Request, session: Officer) -> Response:
    form = await request.form()
    values = {name: forms.text(form, name) for name in NEW_FIELDS}
    try:
        body = forms.new_incident(form)
        created = await _backend(request).post(session, "monitoring", "/v1/incidents", body)
    except forms.FormProblem as exc:
        return await _new_form(request, session, values, {"fields": exc.fields}, 400)
    except ApiError as exc:
        if exc.status in (401, 404) or (exc.status >= 500 and exc.status != 503):
            raise
        errors = {"detail": exc.detail or exc.title, "fields": forms.api_field_errors(exc.field_errors())}
        return await _new_form(request, session, values, errors, REFUSED_STATUS.get(exc.status, 400))
    return RedirectResponse(f"/incidents/{uuid.UUID(str(created['id']))}?done=reported", status_code=303)


# ------------------------------------------------------------------------------------ incident page


def _is_me(subject: str | None, session: PortalSession) -> bool:
    return subject is not None and subject == session.subject


async def _incident_context(request: Request, session: PortalSession, incident_id: uuid.UUID) -> dict[str, Any]:
    incident = await _backend(request).get(session, "monitoring", f"/v1/incidents/{incident_id}")
    status = str(incident.get("status") or "")
    assignees = list(incident.get("assignees") or [])
    assigned = session.subject in assignees
    # the API lets assignees and security advisers investigate, decide and close (it checks again)
    handler = assigned or session.has_any("security_adviser")
    # the transitions the API's state machine allows from this status (it refuses any other with a 409)
    actions = {str(n.get("action")) for n in incident.get("next_statuses") or []}
    measures = list(incident.get("measures") or [])
    open_measures = [m for m in measures if m.get("status") in deadlines.OPEN_MEASURE]
    evidence = list(incident.get("evidence") or [])
    description = next((e for e in evidence if e.get("kind") == "description"), None)
    all_deadlines = deadlines.all_of(incident)
    by_measure = {d.item_id: d for d in all_deadlines if d.item == "measure"}
    can = {
        "triage": "triage" in actions,
        "dismiss": "dismiss" in actions,
        "investigate": "investigate" in actions and handler,
        "measures": "decide_measures" in actions and handler,
        "close": "close" in actions and handler and not open_measures,
        "measure_status": status != "closed" and handler,
        "evidence": status != "closed" and handler,
        "assign": status != "closed",
    }
    return {
        "incident": incident,
        "status": status,
        "assigned": assigned,
        "handler": handler,
        "needs_assignment": bool(actions & {"investigate", "decide_measures", "close"}) and not handler,
        "close_blocked": "close" in actions and handler and bool(open_measures),
        "open_measures": open_measures,
        "can": can,
        "description": description,
        "evidence": [e for e in evidence if e is not description],
        "deadlines": [d for d in all_deadlines if d.item != "measure"],
        "measure_deadlines": by_measure,
        "next_measure_statuses": {str(m.get("id")): list(m.get("next_statuses") or []) for m in measures},
        "timeline": list(reversed(incident.get("timeline") or [])),
        "severities": forms.SEVERITIES,
        "measure_kinds": forms.MEASURE_KINDS,
        "evidence_kinds": forms.EVIDENCE_KINDS,
        "today": date.today().isoformat(),
        "posted": forms.Posted(),
        "errors": {},
        "done": "",
    }


@router.get("/incidents/{incident_id}")
async def incident_page(request: Request, session: Officer, incident_id: IncidentId, done: str = "") -> Response:
    context = await _incident_context(request, session, incident_id)
    context["done"] = done if done in DONE else ""
    return render(request, "incidents/incident.html", context)


# ----------------------------------------------------------------------------------------- actions

# form name -> the `can` entry that shows its form (a form no longer shown has its error at the top)
_SHOWN_BY = {
    "triage": "triage", "investigation": "investigate", "dismissal": "dismiss", "measures": "measures",
    "measure": "measure_status", "closure": "close", "evidence": "evidence", "assignees": "assign",
}  # fmt: skip


async def _act(
    request: Request,
    session: PortalSession,
    incident_id: uuid.UUID,
    form_name: str,
    call: Callable[[FormData], Awaitable[Any]],
    *,
    anchor: str = "",
    posted_kinds: Callable[[FormData], list[str]] | None = None,
) -> Response:
    """Run one action: redirect back to the incident on success, else the incident page with the error."""
    form = await request.form()
    try:
        await call(form)
    except forms.FormProblem as exc:
        error = {"form": form_name, "detail": "", "fields": exc.fields}
        return await _refused(request, session, incident_id, form_name, form, error, 400)
    except ApiError as exc:
        if exc.status in (401, 404) or (exc.status >= 500 and exc.status != 503):
            raise
        fields = forms.api_field_errors(exc.field_errors(), posted_kinds(form) if posted_kinds else None)
        error = {"form": form_name, "detail": exc.detail or exc.title, "fields": fields}
        status = REFUSED_STATUS.get(exc.status, 503 if exc.status == 503 else 400)
        return await _refused(request, session, incident_id, form_name, form, error, status)
    done = form_name.split("__")[0]
    return RedirectResponse(f"/incidents/{incident_id}?done={done}" + (f"#{anchor}" if anchor else ""), 303)


async def _refused(
    request: Request,
    session: PortalSession,
    incident_id: uuid.UUID,
    form_name: str,
    form: FormData,
    error: dict[str, Any],
    status_code: int,
) -> Response:
    context = await _incident_context(request, session, incident_id)
    kind, _, measure_id = form_name.partition("__")
    shown = bool(context["can"].get(_SHOWN_BY.get(kind, ""), False))
    if measure_id:  # a measure's form: shown while the measure can still change
        shown = shown and bool(context["next_measure_statuses"].get(measure_id))
    error["shown_in_form"] = shown
    context.update(posted=forms.Posted.of(form_name, form), errors=error)
    return render(request, "incidents/incident.html", context, status_code=status_code)


def _sender(
    request: Request, session: PortalSession, method: str, path: str, build: Callable[[FormData], Any]
) -> Callable[[FormData], Awaitable[Any]]:
    async def call(form: FormData) -> Any:
        body = build(form)
        return await _backend(request).request(session, "monitoring", method, path, json=body)

    return call


def _simple(form_name: str, api: str, build: Callable[[FormData], Any], anchor: str, method: str = "POST"):  # type: ignore[no-untyped-def]
    kinds = _measure_kinds if form_name == "measures" else None

    async def endpoint(request: Request, session: Officer, incident_id: IncidentId) -> Response:
        send = _sender(request, session, method, api.format(incident_id=incident_id), build)
        return await _act(request, session, incident_id, form_name, send, anchor=anchor, posted_kinds=kinds)

    endpoint.__name__ = f"incident_{form_name}"
    return endpoint


def _measure_kinds(form: FormData) -> list[str]:
    """The chosen measure kinds in the order sent (the API's `/measures/<i>` pointers count them)."""
    return [k for k in dict.fromkeys(form.getlist("kind")) if isinstance(k, str) and k in forms.MEASURE_KINDS]


_ACTIONS = (
    ("triage", "/triage", "/triage", forms.triage, "actions", "POST"),
    ("investigation", "/investigation", "/investigation", forms.note, "actions", "POST"),
    ("dismissal", "/dismissal", "/dismissal", forms.dismissal, "actions", "POST"),
    ("measures", "/measures", "/measures", forms.measures, "measures", "POST"),
    ("closure", "/closure", "/closure", forms.closure, "actions", "POST"),
    ("evidence", "/evidence", "/evidence", forms.evidence, "evidence", "POST"),
    ("assignees", "/assignees", "/assignees", forms.assignees, "assignees", "PUT"),
)
for _name, _path, _api, _build, _anchor, _method in _ACTIONS:
    router.add_api_route(
        "/incidents/{incident_id}" + _path,
        _simple(_name, "/v1/incidents/{incident_id}" + _api, _build, _anchor, _method),
        methods=["POST"],
    )


@router.post("/incidents/{incident_id}/measures/{measure_id}/status")
async def measure_status(
    request: Request, session: Officer, incident_id: IncidentId, measure_id: uuid.UUID
) -> Response:
    path = f"/v1/incidents/{incident_id}/measures/{measure_id}/status"
    send = _sender(request, session, "POST", path, forms.measure_status)
    return await _act(request, session, incident_id, f"measure__{measure_id}", send, anchor=f"measure-{measure_id}")
