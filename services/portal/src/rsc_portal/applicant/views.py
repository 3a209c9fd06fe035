"""applicant pages: my proposals, a new draft, the proposal's page (status, history, information
requests and safeguards to answer), review and submit, withdrawal, versions and their differences.
The guided steps are in `steps.py`, grants and incidents in `grants.py`."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from rsc_portal.applicant import completeness
from rsc_portal.applicant.common import (
    EDITABLE,
    STEPS,
    backend,
    idempotency_key,
    load_attachments,
    load_proposal,
    load_questionnaire,
    new_key,
)
from rsc_portal.applicant.common import (
    page_context as _context,
)
from rsc_portal.backend import ApiError
from rsc_portal.i18n import translate
from rsc_portal.security.deps import Applicant
from rsc_portal.templating import render

router = APIRouter()
PAGE_SIZE = 25


# ------------------------------------------------------------------------------------ my proposals


@router.get("/proposals")
async def my_proposals(
    request: Request,
    session: Applicant,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    page = await backend(request).get(
        session, "intake", "/v1/proposals", limit=PAGE_SIZE, offset=offset, q=q, sort="-updated_at"
    )
    context = _context(request, page=page, q=q or "", offset=offset, page_size=PAGE_SIZE, editable=EDITABLE)
    return render(request, "applicant/list.html", context)


# -------------------------------------------------------------------------------------- new draft


async def _open_calls(request: Request, session: Any) -> list[dict[str, Any]]:
    return [c for c in await backend(request).get(session, "intake", "/v1/calls") if c.get("is_open", True)]


@router.get("/proposals/new")
async def new_proposal(request: Request, session: Applicant) -> Response:
    calls = await _open_calls(request, session)
    return render(request, "applicant/new.html", _context(request, calls=calls, errors={}, chosen=""))


@router.post("/proposals/new")
async def create_proposal(request: Request, session: Applicant, call_id: Annotated[str, Form()] = "") -> Response:
    try:
        chosen = str(uuid.UUID(call_id))
    except ValueError:
        calls = await _open_calls(request, session)
        context = _context(request, calls=calls, errors={"call_id": "applicant.new.choose_call"}, chosen="")
        return render(request, "applicant/new.html", context, status_code=422)
    try:
        created = await backend(request).post(session, "intake", "/v1/proposals", {"call_id": chosen})
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        calls = await _open_calls(request, session)
        context = _context(request, calls=calls, errors={}, chosen=chosen, detail=exc.detail or exc.title)
        return render(request, "applicant/new.html", context, status_code=422)
    return RedirectResponse(f"/proposals/{created['id']}/edit/{STEPS[0]}", status_code=303)


# ------------------------------------------------------------------------------- the proposal page


async def _list_or_empty(request: Request, session: Any, path: str) -> Any:
    try:
        return await backend(request).get(session, "intake", path)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


@router.get("/proposals/{proposal_id}")
async def proposal_page(
    request: Request, session: Applicant, proposal_id: uuid.UUID, done: str | None = None
) -> Response:
    proposal, _etag = await load_proposal(request, session, proposal_id)
    base = f"/v1/proposals/{proposal_id}"
    history = await _list_or_empty(request, session, base + "/history") or []
    requests_ = await _list_or_empty(request, session, base + "/information-requests") or []
    safeguards = await _list_or_empty(request, session, base + "/safeguards") or {"measures": []}
    versions = await _list_or_empty(request, session, base + "/versions") or []
    attachments = await load_attachments(request, session, proposal_id) if safeguards.get("measures") else []
    context = _detail_context(request, proposal, history, requests_, safeguards, versions, attachments, done)
    return render(request, "applicant/detail.html", context)


def _detail_context(
    request: Request,
    proposal: dict[str, Any],
    history: list[dict[str, Any]],
    requests_: list[dict[str, Any]],
    safeguards: dict[str, Any],
    versions: list[dict[str, Any]],
    attachments: list[dict[str, Any]],
    done: str | None,
    **extra: Any,
) -> dict[str, Any]:
    return _context(
        request, proposal=proposal, history=history, info_requests=requests_, safeguards=safeguards,
        versions=versions, attachments=attachments, done=done, editable=proposal.get("status") in EDITABLE,
        keys={m["measure_id"]: {k: new_key() for k in ("accept", "request_change", "submit_evidence")}
              for m in safeguards.get("measures", [])},
        form_errors=extra.pop("form_errors", {}), form_values=extra.pop("form_values", {}), **extra,
    )  # fmt: skip


async def _detail_again(
    request: Request, session: Any, proposal_id: uuid.UUID, *, status_code: int, **extra: Any
) -> Response:
    """The proposal page again, with what the applicant typed and the API's objection."""
    proposal, _etag = await load_proposal(request, session, proposal_id)
    base = f"/v1/proposals/{proposal_id}"
    history = await _list_or_empty(request, session, base + "/history") or []
    requests_ = await _list_or_empty(request, session, base + "/information-requests") or []
    safeguards = await _list_or_empty(request, session, base + "/safeguards") or {"measures": []}
    versions = await _list_or_empty(request, session, base + "/versions") or []
    attachments = await load_attachments(request, session, proposal_id)
    context = _detail_context(request, proposal, history, requests_, safeguards, versions, attachments, None, **extra)
    return render(request, "applicant/detail.html", context, status_code=status_code)


@router.post("/proposals/{proposal_id}/information-requests/{request_id}/response")
async def answer_request(
    request: Request,
    session: Applicant,
    proposal_id: uuid.UUID,
    request_id: uuid.UUID,
    response: Annotated[str, Form()] = "",
) -> Response:
    name = f"request-{request_id}"
    if not response.strip():
        return await _detail_again(request, session, proposal_id, status_code=422,
                                   form_errors={name: "applicant.detail.answer_required"},
                                   form_values={name: response})  # fmt: skip
    path = f"/v1/proposals/{proposal_id}/information-requests/{request_id}/response"
    try:
        await backend(request).post(session, "intake", path, {"response": response.strip()})
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _detail_again(request, session, proposal_id, status_code=exc.status,
                                   form_errors={name: exc.detail or exc.title},
                                   form_values={name: response})  # fmt: skip
    return RedirectResponse(f"/proposals/{proposal_id}?done=answered#requests", status_code=303)


@router.post("/proposals/{proposal_id}/safeguards/{measure_id}/responses")
async def answer_safeguard(request: Request, session: Applicant, proposal_id: uuid.UUID, measure_id: str) -> Response:
    form = await request.form()
    kind = str(form.get("kind") or "")
    text = str(form.get("text") or "").strip()
    evidence = [str(e) for e in form.getlist("evidence") if e]
    name = f"safeguard-{measure_id}-{kind}"
    lang = getattr(request.state, "locale", "en")
    if kind not in ("accept", "request_change", "submit_evidence"):
        return await _detail_again(request, session, proposal_id, status_code=422,
                                   form_errors={name: "applicant.detail.unknown_response"})  # fmt: skip
    if not text:
        if kind != "accept":
            return await _detail_again(request, session, proposal_id, status_code=422,
                                       form_errors={name: "applicant.detail.reason_required"},
                                       form_values={name: text})  # fmt: skip
        text = translate(lang, "applicant.detail.accept_default")
    body = {"kind": kind, "text": text, "evidence": evidence}
    headers = {"Idempotency-Key": idempotency_key(form.get("idempotency_key"))}
    path = f"/v1/proposals/{proposal_id}/safeguards/{measure_id}/responses"
    try:
        await backend(request).post(session, "intake", path, body, headers=headers)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        message = "; ".join(exc.field_errors().values()) or exc.detail or exc.title
        return await _detail_again(request, session, proposal_id, status_code=exc.status,
                                   form_errors={name: message}, form_values={name: text})  # fmt: skip
    return RedirectResponse(f"/proposals/{proposal_id}?done=safeguard#safeguards", status_code=303)


# ----------------------------------------------------------------------------- review and submit


async def _organisation(request: Request, session: Any) -> dict[str, Any] | None:
    try:
        return await backend(request).get(session, "intake", "/v1/organisations/mine")
    except ApiError as exc:
        if exc.status in (403, 404):
            return None
        raise


async def _review(
    request: Request, session: Any, proposal_id: uuid.UUID, *, status_code: int = 200, **extra: Any
) -> Response:
    proposal, _etag = await load_proposal(request, session, proposal_id)
    questionnaire = await load_questionnaire(request, session, proposal)
    organisation = await _organisation(request, session)
    attachments = await load_attachments(request, session, proposal_id)
    missing = extra.pop("missing", None)
    if missing is None:
        missing = completeness.check(proposal.get("content") or {}, questionnaire, organisation)
    context = _context(
        request, proposal=proposal, questionnaire=questionnaire, missing=missing, attachments=attachments,
        editable=proposal.get("status") in EDITABLE, submit_key=new_key(), **extra,
    )  # fmt: skip
    return render(request, "applicant/review.html", context, status_code=status_code)


@router.get("/proposals/{proposal_id}/review")
async def review(request: Request, session: Applicant, proposal_id: uuid.UUID) -> Response:
    return await _review(request, session, proposal_id)


@router.post("/proposals/{proposal_id}/submit")
async def submit(
    request: Request,
    session: Applicant,
    proposal_id: uuid.UUID,
    idempotency_key_: Annotated[str, Form(alias="idempotency_key")] = "",
) -> Response:
    headers = {"Idempotency-Key": idempotency_key(idempotency_key_)}
    try:
        await backend(request).post(session, "intake", f"/v1/proposals/{proposal_id}/submit", None, headers=headers)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        missing = completeness.from_api_errors(exc.field_errors()) or None
        return await _review(request, session, proposal_id, status_code=exc.status, missing=missing,
                             detail=exc.detail or exc.title)  # fmt: skip
    return RedirectResponse(f"/proposals/{proposal_id}?done=submitted", status_code=303)


@router.get("/proposals/{proposal_id}/withdraw")
async def confirm_withdrawal(request: Request, session: Applicant, proposal_id: uuid.UUID) -> Response:
    proposal, _etag = await load_proposal(request, session, proposal_id)
    return render(request, "applicant/withdraw.html", _context(request, proposal=proposal, reason=""))


@router.post("/proposals/{proposal_id}/withdraw")
async def withdraw(
    request: Request,
    session: Applicant,
    proposal_id: uuid.UUID,
    reason: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    if confirm != "yes":
        proposal, _etag = await load_proposal(request, session, proposal_id)
        context = _context(request, proposal=proposal, reason=reason, error="applicant.withdraw.confirm_required")
        return render(request, "applicant/withdraw.html", context, status_code=422)
    body = {"reason": reason.strip() or None}
    try:
        await backend(request).post(session, "intake", f"/v1/proposals/{proposal_id}/withdraw", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        proposal, _etag = await load_proposal(request, session, proposal_id)
        context = _context(request, proposal=proposal, reason=reason, detail=exc.detail or exc.title)
        return render(request, "applicant/withdraw.html", context, status_code=exc.status)
    return RedirectResponse(f"/proposals/{proposal_id}?done=withdrawn", status_code=303)


# ------------------------------------------------------------------------------------- versions


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@router.get("/proposals/{proposal_id}/versions")
async def versions(
    request: Request,
    session: Applicant,
    proposal_id: uuid.UUID,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=1_000_000)] = None,
    to: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    proposal, _etag = await load_proposal(request, session, proposal_id)
    listed = await backend(request).get(session, "intake", f"/v1/proposals/{proposal_id}/versions")
    numbers = [v["version"] for v in listed]
    if from_ is None and to is None and len(numbers) >= 2:
        from_, to = numbers[-2], numbers[-1]
    diff = None
    if from_ is not None and to is not None and from_ != to:
        path = f"/v1/proposals/{proposal_id}/versions/{from_}/diff/{to}"
        diff = await backend(request).get(session, "intake", path)
    context = _context(request, proposal=proposal, versions=listed, numbers=numbers, diff=diff,
                       from_version=from_, to_version=to, shown=_shown)  # fmt: skip
    return render(request, "applicant/versions.html", context)


# The guided steps and the grant pages (imported last: they use the helpers above).
from rsc_portal.applicant.grants import router as grants_router  # noqa: E402
from rsc_portal.applicant.steps import router as steps_router  # noqa: E402

router.include_router(steps_router)
router.include_router(grants_router)
