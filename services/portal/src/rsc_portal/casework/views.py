"""casework pages: the officer queue, the case page (screening explained factor by factor, notes,
timeline, action forms), entity-match review and the policy versions.

Every action is a POST answered with a redirect back to the case (PRG). The appraisal API runs each
action as a Temporal update whose validator refuses a wrong state or role with a 4xx problem: the case
page is then shown again with the API's `detail` beside the form, and the values that were typed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from rsc_portal.backend import ApiError
from rsc_portal.casework import forms
from rsc_portal.casework.explain import CATEGORIES, LEVELS, explain
from rsc_portal.casework.sla import classify
from rsc_portal.security.deps import Officer, require
from rsc_portal.security.session import PortalSession
from rsc_portal.templating import render

router = APIRouter(tags=["casework"])
logger = logging.getLogger(__name__)

PolicyReader = Annotated[PortalSession, Depends(require("case_officer", "security_adviser", "admin"))]
CaseId = Annotated[uuid.UUID, Path()]
MeasureId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]

REVIEWERS = ("case_officer", "security_adviser")
ACTIVE = (
    "open",
    "in_review",
    "awaiting_applicant",
    "awaiting_referral",
    "awaiting_second_review",
    "safeguards_pending",
)
CLOSED = ("screening", "cleared", "not_fundable", "awarded", "withdrawn", "superseded")
PAGE_SIZE = 50
REFUSED_STATUS = {400: 400, 403: 403, 409: 409, 422: 400, 429: 429}


def _backend(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.backend


# ------------------------------------------------------------------------------------------ queue


@router.get("/cases")
async def queue(
    request: Request,
    session: Officer,
    status: Annotated[list[str], Query()] = [],  # noqa: B006  (FastAPI copies the default)
    level: Annotated[list[str], Query()] = [],  # noqa: B006
    assignee: str = "",
    call_identifier: str = "",
    programme: str = "",
    sla: str = "",
    include_closed: str = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    status = [s for s in status if s in (*ACTIVE, *CLOSED)]
    level = [lv for lv in level if lv in LEVELS]
    params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": offset}
    if status:
        params["status"] = status
    if level:
        params["level"] = level
    if assignee == "me":
        params["assignee"] = session.subject
    if call_identifier.strip():
        params["call_identifier"] = call_identifier.strip()
    if programme.strip():
        params["programme"] = programme.strip()
    if sla == "overdue":
        params["overdue"] = "true"
    elif sla == "at_risk":
        params["sla_due_within_days"] = 5
        params["overdue"] = "false"
    elif sla == "on_track":
        params["overdue"] = "false"
    if include_closed == "true":
        params["include_closed"] = "true"
    page = await _backend(request).get(session, "appraisal", "/v1/cases", **params)
    now = datetime.now(UTC)
    rows = [{"case": c, "sla": classify(c.get("sla"), now), "mine": _assigned(c, session)} for c in page["items"]]
    filters = {
        "status": status,
        "level": level,
        "assignee": assignee if assignee == "me" else "",
        "call_identifier": call_identifier.strip(),
        "programme": programme.strip(),
        "sla": sla if sla in ("overdue", "at_risk", "on_track") else "",
        "include_closed": include_closed == "true",
    }
    query = urlencode([(k, v) for k, vs in filters.items() for v in (vs if isinstance(vs, list) else [vs]) if v])
    context = {
        "rows": rows,
        "total": page.get("total", len(rows)),
        "offset": offset,
        "limit": PAGE_SIZE,
        "filters": filters,
        "query": query,
        "statuses": (*ACTIVE, *CLOSED),
        "levels": LEVELS,
        "overdue_count": sum(r["sla"].state == "overdue" for r in rows),
        "at_risk_count": sum(r["sla"].state == "at_risk" for r in rows),
        "now": now,
    }
    # the table alone for htmx (filters, refresh); the whole page for a history restore (back button)
    partial = (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"
    )
    template = "casework/_queue_table.html" if partial else "casework/queue.html"
    return render(request, template, context)


def _assigned(case: dict[str, Any], session: PortalSession) -> dict[str, Any] | None:
    return next((a for a in case.get("assignees") or [] if a.get("subject") == session.subject), None)


# --------------------------------------------------------------------------------------- case page


async def _safeguard_catalogue(request: Request, session: PortalSession) -> list[dict[str, Any]] | None:
    """Every measure of appraisal's safeguard catalogue, in catalogue order; None when it is unavailable
    (the proposal builder then offers the recommended measures only, and says so)."""
    try:
        catalogue = await _backend(request).get(session, "appraisal", "/v1/safeguard-catalogue")
    except ApiError as exc:
        if exc.status == 401:
            raise
        logger.warning("safeguard catalogue unavailable: %s", exc)
        return None
    return [m for m in catalogue.get("measures") or [] if isinstance(m, dict) and m.get("id")]


def _builder(safeguards: list[Any], catalogue: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The proposal builder's options: the screening's recommended measures first (in its order, with the
    flags that call for them), then every other measure of the catalogue, with their titles and descriptions."""
    measures = {str(m["id"]): m for m in catalogue}

    def option(measure_id: str, fallback_title: str, **extra: Any) -> dict[str, Any]:
        measure = measures.get(measure_id) or {}
        return {
            "id": measure_id,
            "title": measure.get("title") or fallback_title,
            "description": measure.get("description") or "",
            "tracked_as": measure.get("tracked_as") or "",
            **extra,
        }

    builder = [option(s.measure_id, s.title, recommended=True, triggered_by=s.triggered_by) for s in safeguards]
    recommended = {s.measure_id for s in safeguards}
    builder += [option(i, i, recommended=False) for i in measures if i not in recommended]
    return builder


async def _case_context(request: Request, session: PortalSession, case_id: uuid.UUID) -> dict[str, Any]:
    backend = _backend(request)
    case = await backend.get(session, "appraisal", f"/v1/cases/{case_id}")
    screening = case.get("screening") or {}
    organisations: dict[str, str] = {}
    suppressed = 0
    if screening.get("id") and screening.get("matches"):
        try:
            full = await backend.get(session, "appraisal", f"/v1/screenings/{screening['id']}")
            organisations = dict((full.get("result") or {}).get("organisations") or {})
            suppressed = len((full.get("result") or {}).get("suppressed_matches") or [])
        except ApiError as exc:
            if exc.status == 401:
                raise
            logger.warning("screening %s unavailable: %s", screening.get("id"), exc)
    explanation = explain(
        screening, organisations=organisations, match_decisions=case.get("match_decisions"), suppressed=suppressed
    )
    status = case.get("status", "")
    route = case.get("route") or {}
    state = case.get("state") or {}
    assignees = case.get("assignees") or []
    me = _assigned(case, session)
    proposed = state.get("proposed_decision")
    proposer = (proposed.get("decided_by") or [None])[0] if proposed else None
    working = me is not None and status == "in_review"
    claim_roles = [
        role
        for role in REVIEWERS
        if status in ACTIVE
        and me is None
        and session.has_any(role)
        and role in (route.get("reviewers") or REVIEWERS)
        and not any(a.get("role") == role for a in assignees)
    ]
    timeline = case.get("timeline") or []
    proposed_measures: list[str] = []
    if proposed:
        decide = next((c for c in reversed(timeline) if c.get("action") == "decide"), None)
        proposed_measures = list((decide or {}).get("details", {}).get("measures") or [])
    builder: list[dict[str, Any]] = []
    catalogue_unavailable = False
    if working:
        catalogue = await _safeguard_catalogue(request, session)
        catalogue_unavailable = catalogue is None
        builder = _builder(explanation.safeguards, catalogue or [])
    category_levels = {c.category: c.level for c in explanation.categories}
    return {
        "case": case,
        "sla": classify(case.get("sla")),
        "explanation": explanation,
        "me": me,
        "status": status,
        "route": route,
        "proposed": proposed,
        "proposer": proposer,
        "proposed_measures": proposed_measures,
        "claim_roles": claim_roles,
        "can": {
            "claim": bool(claim_roles),
            "request_information": working,
            "appraisal": working,
            "decide": working,
            "refer": working and route.get("referral_allowed") and me.get("role") == "security_adviser",
            "referral_answer": me is not None and status == "awaiting_referral",
            "review": me is not None and status == "awaiting_second_review" and proposer != session.subject,
            "awaiting_other": status == "awaiting_second_review" and proposer == session.subject,
            "measures": me is not None and status == "safeguards_pending",
            "award": status == "cleared" and session.has_any("case_officer", "admin"),
            "extend": me is not None and status in ACTIVE,
            "note": status != "screening" and (me is not None or session.has_any("security_adviser")),
            "match_review": session.has_any(*REVIEWERS),
        },
        "builder": builder,
        "catalogue_unavailable": catalogue_unavailable,
        "categories": CATEGORIES,
        "levels": LEVELS,
        "outcomes": forms.OUTCOMES,
        "category_levels": category_levels,
        "appraisal_recorded": bool(state.get("appraisal_recorded")),
        "timeline": list(reversed(timeline)),
        "notes": case.get("notes"),
        "today": date.today().isoformat(),
        "default_due": (date.today() + timedelta(days=30)).isoformat(),
        "default_measure_due": (date.today() + timedelta(days=90)).isoformat(),
        "posted": forms.Posted(),
        "errors": {},
    }


@router.get("/cases/{case_id}")
async def case_page(request: Request, session: Officer, case_id: CaseId, done: str = "") -> Response:
    context = await _case_context(request, session, case_id)
    context["done"] = done if done.replace("_", "").isalpha() else ""
    return render(request, "casework/case.html", context)


@router.get("/cases/{case_id}/timeline")
async def timeline(request: Request, session: Officer, case_id: CaseId) -> Response:
    changes = await _backend(request).get(session, "appraisal", f"/v1/cases/{case_id}/changes")
    return render(request, "casework/_timeline.html", {"timeline": list(reversed(changes)), "case": {"id": case_id}})


# ----------------------------------------------------------------------------------------- actions


def _error_context(exc: ApiError | forms.FormProblem, form_name: str) -> dict[str, Any]:
    if isinstance(exc, forms.FormProblem):
        return {"form": form_name, "detail": "", "fields": exc.fields, "shown_in_form": True}
    detail = exc.detail or exc.title
    return {"form": form_name, "detail": detail, "fields": exc.field_errors(), "shown_in_form": True}


async def _act(
    request: Request,
    session: PortalSession,
    case_id: uuid.UUID,
    form_name: str,
    call: Callable[[FormData], Awaitable[Any]],
    *,
    anchor: str = "",
) -> Response:
    """Run one action: redirect back to the case on success, else the case page with the error."""
    form = await request.form()
    try:
        await call(form)
    except forms.FormProblem as exc:
        return await _refused(request, session, case_id, form_name, form, _error_context(exc, form_name), 400)
    except ApiError as exc:
        if exc.status in (401, 404) or (exc.status >= 500 and exc.status != 503):
            raise
        status = REFUSED_STATUS.get(exc.status, 503 if exc.status == 503 else 400)
        return await _refused(request, session, case_id, form_name, form, _error_context(exc, form_name), status)
    target = f"/cases/{case_id}?done={form_name}" + (f"#{anchor}" if anchor else "")
    return RedirectResponse(target, status_code=303)


async def _refused(
    request: Request,
    session: PortalSession,
    case_id: uuid.UUID,
    form_name: str,
    form: FormData,
    error: dict[str, Any],
    status_code: int,
) -> Response:
    context = await _case_context(request, session, case_id)
    # the case may have moved on (another reviewer acted): a form no longer shown has its error at the top
    error["shown_in_form"] = bool(context["can"].get(_FORM_SHOWN_BY.get(form_name.split("__")[0], ""), False))
    context.update(posted=forms.Posted.of(form_name, form), errors=error, done="")
    return render(request, "casework/case.html", context, status_code=status_code)


_FORM_SHOWN_BY = {
    "claim": "claim", "information_request": "request_information", "appraisal": "appraisal",
    "decision": "decide", "confirm": "review", "return": "review", "referral": "refer",
    "referral_answer": "referral_answer", "award": "award", "extension": "extend", "verify": "measures",
    "revise": "measures", "match": "match_review", "note": "note",
}  # fmt: skip


def _post(request: Request, session: PortalSession, path: str) -> Callable[[Any], Awaitable[Any]]:
    async def send(body: Any) -> Any:
        return await _backend(request).post(session, "appraisal", path, body)

    return send


@router.post("/cases/{case_id}/claim")
async def claim(request: Request, session: Officer, case_id: CaseId) -> Response:
    send = _post(request, session, f"/v1/cases/{case_id}/claim")

    async def call(form: FormData) -> Any:
        role = forms.text(form, "role")
        if role not in REVIEWERS:
            role = (
                "security_adviser"
                if session.has_any("security_adviser") and not session.has_any("case_officer")
                else "case_officer"
            )
        return await send({"role": role})

    return await _act(request, session, case_id, "claim", call)


def _simple(name: str, api_path: str, build: Callable[[FormData], dict[str, Any]], anchor: str):
    async def endpoint(request: Request, session: Officer, case_id: CaseId) -> Response:
        send = _post(request, session, api_path.format(case_id=case_id))

        async def call(form: FormData) -> Any:
            return await send(build(form))

        return await _act(request, session, case_id, name, call, anchor=anchor)

    endpoint.__name__ = f"case_{name}"
    return endpoint


_ACTIONS = (
    (
        "information_request",
        "/cases/{case_id}/information-requests",
        "/v1/cases/{case_id}/information-requests",
        forms.information_request,
        "act-information",
    ),
    ("appraisal", "/cases/{case_id}/appraisal", "/v1/cases/{case_id}/appraisal", forms.appraisal, "act-appraisal"),
    ("decision", "/cases/{case_id}/decision", "/v1/cases/{case_id}/decision", forms.decision, "act-decision"),
    (
        "confirm",
        "/cases/{case_id}/decision/confirm",
        "/v1/cases/{case_id}/decision/confirm",
        lambda f: forms.review(f, reason_required=False),
        "act-review",
    ),
    (
        "return",
        "/cases/{case_id}/decision/return",
        "/v1/cases/{case_id}/decision/return",
        lambda f: forms.review(f, reason_required=True),
        "act-review",
    ),
    ("referral", "/cases/{case_id}/referral", "/v1/cases/{case_id}/referral", forms.referral, "act-referral"),
    (
        "referral_answer",
        "/cases/{case_id}/referral/answer",
        "/v1/cases/{case_id}/referral/answer",
        forms.referral_answer,
        "act-referral",
    ),
    ("award", "/cases/{case_id}/award", "/v1/cases/{case_id}/award", forms.award, "act-award"),
    ("extension", "/cases/{case_id}/sla/extension", "/v1/cases/{case_id}/sla/extension", forms.extension, "summary"),
)
for _name, _path, _api, _build, _anchor in _ACTIONS:
    router.add_api_route(_path, _simple(_name, _api, _build, _anchor), methods=["POST"])


@router.post("/cases/{case_id}/measures/{measure_id}/{action}")
async def measure_action(
    request: Request,
    session: Officer,
    case_id: CaseId,
    measure_id: MeasureId,
    action: Annotated[str, Path(pattern=r"^(revise|verify)$")],
) -> Response:
    send = _post(request, session, f"/v1/cases/{case_id}/measures/{measure_id}/{action}")
    build = forms.revise_measure if action == "revise" else forms.verify_measure

    async def call(form: FormData) -> Any:
        return await send(build(form))

    return await _act(request, session, case_id, f"{action}__{measure_id}", call, anchor="act-measures")


@router.post("/cases/{case_id}/match-decisions")
async def match_decision(request: Request, session: Officer, case_id: CaseId) -> Response:
    async def call(form: FormData) -> Any:
        organisation_id, body = forms.match_decision(form)
        try:
            organisation = uuid.UUID(organisation_id)
        except ValueError:
            raise forms.FormProblem({"organisation_id": "casework.error.required"}) from None
        path = f"/v1/organisations/{organisation}/match-decisions"
        return await _backend(request).post(session, "appraisal", path, body)

    form = await request.form()
    key = forms.text(form, "match_key")
    return await _act(request, session, case_id, f"match__{key}", call, anchor="matches")


# ------------------------------------------------------------------------------------------ notes


async def _notes_partial(
    request: Request,
    session: PortalSession,
    case_id: uuid.UUID,
    *,
    error: dict[str, Any] | None = None,
    posted: forms.Posted | None = None,
    status_code: int = 200,
) -> Response:
    try:
        notes = await _backend(request).get(session, "appraisal", f"/v1/cases/{case_id}/notes")
    except ApiError as exc:
        if exc.status != 403:
            raise
        notes = None  # need to know: neither assigned nor a security adviser
    context = {
        "case": {"id": str(case_id)},
        "notes": notes,
        "can": {"note": notes is not None},
        "errors": error or {},
        "posted": posted or forms.Posted(),
    }
    return render(request, "casework/_notes.html", context, status_code=status_code)


@router.get("/cases/{case_id}/notes")
async def notes(request: Request, session: Officer, case_id: CaseId) -> Response:
    return await _notes_partial(request, session, case_id)


@router.post("/cases/{case_id}/notes")
async def add_note(request: Request, session: Officer, case_id: CaseId) -> Response:
    if request.headers.get("HX-Request") != "true":
        return await _act(request, session, case_id, "note", _note_sender(request, session, case_id), anchor="notes")
    form = await request.form()
    try:
        await _note_sender(request, session, case_id)(form)
    except (forms.FormProblem, ApiError) as exc:
        if isinstance(exc, ApiError) and (exc.status in (401, 404) or exc.status >= 500):
            raise
        status = 400 if isinstance(exc, forms.FormProblem) else REFUSED_STATUS.get(exc.status, 400)
        error = _error_context(exc, "note")
        return await _notes_partial(
            request, session, case_id, error=error, posted=forms.Posted.of("note", form), status_code=status
        )
    return await _notes_partial(request, session, case_id)


def _note_sender(request: Request, session: PortalSession, case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    async def call(form: FormData) -> Any:
        return await _backend(request).post(session, "appraisal", f"/v1/cases/{case_id}/notes", forms.note(form))

    return call


# --------------------------------------------------------------------------------------- policies


@router.get("/policies")
async def policies(request: Request, session: PolicyReader) -> Response:
    datasets = await _backend(request).get(session, "appraisal", "/v1/reference-datasets")
    today = date.today()
    rows = []
    for d in datasets:
        review_by = forms.parse_date(str(d.get("review_by") or ""))
        overdue = bool(d.get("review_overdue")) or (review_by is not None and review_by < today)
        rows.append({**d, "past_review": overdue, "days_to_review": (review_by - today).days if review_by else None})
    order = {"active": 0, "draft": 1, "superseded": 2}
    rows.sort(key=lambda d: str(d.get("imported_at") or ""), reverse=True)  # newest first within a status
    rows.sort(key=lambda d: order.get(d.get("status"), 3))
    context = {
        "policies": [d for d in rows if d.get("kind") == "policy"],
        "others": [d for d in rows if d.get("kind") != "policy"],
        "past_review": [d for d in rows if d["past_review"] and d.get("status") == "active"],
    }
    return render(request, "casework/policies.html", context)
