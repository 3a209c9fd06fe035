"""Post-award pages for grantees: my grants, a grant's obligations (evidence) and attestations, and
incident reporting (monitoring service). The grant's risk level is never shown to the grantee."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from rsc_portal.applicant.common import CHANGE_KINDS, backend, load_attachments, page_context
from rsc_portal.applicant.forms import errors_by_name, text
from rsc_portal.backend import ApiError
from rsc_portal.security.deps import Applicant
from rsc_portal.security.session import PortalSession
from rsc_portal.templating import render

router = APIRouter()
Reference = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$")]
MeasureId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def _ref(reference: str) -> str:
    return quote(reference, safe="")


@router.get("/grants")
async def my_grants(
    request: Request, session: Applicant, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
) -> Response:
    page = await backend(request).get(session, "monitoring", "/v1/grants", limit=50, offset=offset)
    return render(request, "applicant/grants.html", page_context(request, page=page, offset=offset))


async def _grant_page(
    request: Request, session: PortalSession, reference: str, *, status_code: int = 200, **extra: Any
) -> Response:
    grant = await backend(request).get(session, "monitoring", f"/v1/grants/{_ref(reference)}")
    attachments = await load_attachments(request, session, grant["proposal_id"])
    try:
        incidents = await backend(request).get(session, "monitoring", "/v1/incidents", grant_reference=reference)
    except ApiError as exc:
        if exc.status not in (403, 404):
            raise
        incidents = {"items": []}
    open_periods = [a for a in grant.get("attestations", []) if a.get("status") != "submitted"]
    context = page_context(
        request, grant=grant, attachments=attachments, incidents=incidents.get("items", []),
        open_periods=open_periods, errors=extra.pop("errors", {}), values=extra.pop("values", {}), **extra,
    )  # fmt: skip
    return render(request, "applicant/grant.html", context, status_code=status_code)


@router.get("/grants/{reference}")
async def grant_page(request: Request, session: Applicant, reference: Reference, done: str | None = None) -> Response:
    return await _grant_page(request, session, reference, done=done)


@router.post("/grants/{reference}/obligations/{measure_id}/evidence")
async def obligation_evidence(
    request: Request, session: Applicant, reference: Reference, measure_id: MeasureId
) -> Response:
    form = await request.form()
    body = {"text": text(form, "text"), "attachments": [str(a) for a in form.getlist("attachments") if a]}
    name = f"evidence-{measure_id}"
    if not body["text"]:
        return await _grant_page(request, session, reference, status_code=422,
                                 errors={name: "applicant.grant.evidence_text_required"})  # fmt: skip
    path = f"/v1/grants/{_ref(reference)}/obligations/{quote(measure_id, safe='')}/evidence"
    try:
        await backend(request).post(session, "monitoring", path, body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _grant_page(request, session, reference, status_code=exc.status,
                                 errors={name: exc.detail or exc.title}, values={name: body["text"]})  # fmt: skip
    return RedirectResponse(f"/grants/{_ref(reference)}?done=evidence#obligations", status_code=303)


@router.post("/grants/{reference}/attestations")
async def attest(request: Request, session: Applicant, reference: Reference) -> Response:
    form = await request.form()
    period_raw = text(form, "period")
    changes = [c for c in form.getlist("changes") if isinstance(c, str) and c in CHANGE_KINDS]
    no_change = text(form, "no_change") == "true"
    statement = text(form, "statement")
    name = f"attestation-{period_raw}"
    values = {name: {"changes": changes, "no_change": no_change, "statement": statement}}
    problem = None
    if not period_raw.isdigit():
        problem = "applicant.grant.period_required"
    elif no_change == bool(changes):
        problem = "applicant.grant.attestation_inconsistent"
    if problem:
        return await _grant_page(request, session, reference, status_code=422, errors={name: problem}, values=values)
    body = {
        "period": int(period_raw), "no_change": no_change, "changes": changes, "statement": statement or None,
        "evidence": [str(e) for e in form.getlist("evidence") if e],
    }  # fmt: skip
    try:
        await backend(request).post(session, "monitoring", f"/v1/grants/{_ref(reference)}/attestations", body)
    except ApiError as exc:
        if exc.status not in (404, 409, 422):
            raise
        message = "; ".join(exc.field_errors().values()) or exc.detail or exc.title
        return await _grant_page(request, session, reference, status_code=422 if exc.status == 404 else exc.status,
                                 errors={name: message}, values=values)  # fmt: skip
    return RedirectResponse(f"/grants/{_ref(reference)}?done=attested#attestations", status_code=303)


# ------------------------------------------------------------------------------------- incidents


async def _incident_form(
    request: Request, session: PortalSession, reference: str, *, status_code: int = 200, **extra: Any
) -> Response:
    grant = await backend(request).get(session, "monitoring", f"/v1/grants/{_ref(reference)}")
    types = await backend(request).get(session, "monitoring", "/v1/incident-types")
    errors = extra.pop("errors", {})
    context = page_context(
        request, grant=grant, types=types, errors=errors, values=extra.pop("values", {}),
        err=lambda n: errors.get(n), **extra,
    )  # fmt: skip
    return render(request, "applicant/incident_new.html", context, status_code=status_code)


@router.get("/grants/{reference}/incidents/new")
async def new_incident(request: Request, session: Applicant, reference: Reference) -> Response:
    return await _incident_form(request, session, reference, values={"severity": "medium"})


@router.post("/grants/{reference}/incidents/new")
async def report_incident(request: Request, session: Applicant, reference: Reference) -> Response:
    form = await request.form()
    values = {k: text(form, k) for k in ("type", "severity", "title", "description", "occurred_at")}
    errors: dict[str, str] = {}
    occurred = values["occurred_at"]
    if occurred and not _LOCAL_DATETIME.match(occurred):
        errors["occurred_at"] = "applicant.incident.occurred_at_invalid"
    body: dict[str, Any] = {"grant_reference": reference}
    for key in ("type", "severity", "title", "description"):
        if values[key]:
            body[key] = values[key]
    if occurred and not errors:  # entered in UTC (the label says so)
        body["occurred_at"] = (occurred if len(occurred) > 16 else occurred + ":00") + "Z"
    if errors:
        return await _incident_form(request, session, reference, status_code=422, errors=errors, values=values)
    try:
        created = await backend(request).post(session, "monitoring", "/v1/incidents", body)
    except ApiError as exc:
        if exc.status != 422:
            raise
        errors = errors_by_name(exc.field_errors())
        return await _incident_form(request, session, reference, status_code=422, errors=errors, values=values,
                                    detail=exc.detail or exc.title)  # fmt: skip
    incident_ref = quote(str(created.get("reference", "")), safe="")
    return RedirectResponse(f"/grants/{_ref(reference)}?done=reported&incident={incident_ref}", status_code=303)
