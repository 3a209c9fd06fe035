"""The guided proposal form: one page per step, each saving the whole draft with If-Match.

Each step reads the draft (and its ETag) when shown and puts the ETag in the form; on save the portal
reads the draft again, replaces the step's part with what was entered and sends it with the ETag the
applicant saw (`PUT /v1/proposals/{id}/content`, If-Match): a change made elsewhere meanwhile is not
overwritten (412: the entries are shown again with a notice). A 422 shows intake's messages beside the
fields (JSON pointers are the field names) with the entered values kept.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from rsc_portal.applicant import forms
from rsc_portal.applicant import questionnaire as qn
from rsc_portal.applicant.common import (
    EDITABLE,
    STEPS,
    backend,
    load_attachments,
    load_proposal,
    load_questionnaire,
    page_context,
)
from rsc_portal.backend import ApiError
from rsc_portal.security.deps import Applicant
from rsc_portal.security.session import PortalSession
from rsc_portal.templating import render

router = APIRouter()
STEP_PATH = "/proposals/{proposal_id}/edit/{step}"


def _step_url(proposal_id: Any, step: str, query: str = "") -> str:
    return f"/proposals/{proposal_id}/edit/{step}" + (f"?{query}" if query else "")


def _check_step(step: str) -> None:
    if step not in STEPS:
        raise ApiError(404, "Not Found", f"there is no step '{step}'")


async def _render_step(
    request: Request,
    session: PortalSession,
    proposal: dict[str, Any],
    etag: str,
    step: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    detail: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    """`values`: the step's part of the document as entered (else the draft's)."""
    content = proposal.get("content") or {}
    errors = errors or {}
    context = page_context(
        request, proposal=proposal, etag=etag, step=step, errors=errors, err=forms.error_lookup(errors),
        detail=detail, notice=notice,
    )  # fmt: skip
    if step == "project":
        context["details"] = values if values is not None else content.get("details") or {}
    elif step == "partners":
        context["partners"] = values if values is not None else content.get("partners") or []
    elif step == "researchers":
        researchers = values if values is not None else content.get("researchers") or []
        context["researchers"] = researchers or [{}]  # the principal investigator at least
    elif step == "self-assessment":
        questionnaire = await load_questionnaire(request, session, proposal)
        answers = values if values is not None else ((content.get("self_assessment") or {}).get("answers") or {})
        context.update(_questionnaire_context(questionnaire, answers, proposal["id"]))
    elif step == "attachments":
        context["attachments"] = await load_attachments(request, session, proposal["id"])
    return render(request, f"applicant/step_{step.replace('-', '_')}.html", context, status_code=status_code)


def _questionnaire_context(
    questionnaire: dict[str, Any] | None, answers: dict[str, Any], proposal_id: Any
) -> dict[str, Any]:
    return {
        "questionnaire": questionnaire,
        "questions": qn.questions(questionnaire),
        "answers": {k: qn.form_value(v) for k, v in answers.items()},
        "shown": qn.visibility(questionnaire, answers),
        "controlling": qn.controlling_ids(questionnaire),
        "questions_url": f"/proposals/{proposal_id}/edit/self-assessment/questions",
    }


@router.get(STEP_PATH)
async def show_step(
    request: Request, session: Applicant, proposal_id: uuid.UUID, step: str, saved: str | None = None
) -> Response:
    _check_step(step)
    proposal, etag = await load_proposal(request, session, proposal_id)
    if proposal.get("status") not in EDITABLE:
        return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)
    notice = {"1": "applicant.step.saved", "more": "applicant.step.saved_more_questions"}.get(saved or "")
    return await _render_step(request, session, proposal, etag, step, notice=notice)


def _step_values(step: str, form: FormData, questionnaire: dict[str, Any] | None) -> tuple[str, Any]:
    """The document key of the step and its new value, from the form."""
    act, index = forms.action(form)
    if step == "project":
        return "details", forms.parse_details(form)
    if step == "partners":
        return "partners", forms.parse_partners(form, remove=index if act == "remove_partner" else None)
    if step == "researchers":
        return "researchers", forms.parse_researchers(form, remove=index if act == "remove_researcher" else None)
    assert step == "self-assessment"
    return "self_assessment", qn.answers_from_form(questionnaire, form)


@router.post(STEP_PATH)
async def save_step(request: Request, session: Applicant, proposal_id: uuid.UUID, step: str) -> Response:
    _check_step(step)
    form = await request.form()
    act, _index = forms.action(form)
    proposal, current_etag = await load_proposal(request, session, proposal_id)
    if proposal.get("status") not in EDITABLE:
        return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)
    if step == "attachments":  # nothing to save here: uploads and deletions are immediate
        return RedirectResponse(f"/proposals/{proposal_id}/review", status_code=303)
    etag = forms.text(form, "etag") or current_etag
    questionnaire = await load_questionnaire(request, session, proposal) if step == "self-assessment" else None
    key, value = _step_values(step, form, questionnaire)

    # Adding or removing a block re-renders the step without saving (the applicant saves when done).
    if act in ("add_partner", "remove_partner", "add_researcher", "remove_researcher"):
        if act.startswith("add_"):
            value = [*value, {}]
        return await _render_step(request, session, proposal, etag, step, values=value,
                                  notice="applicant.step.not_saved_yet")  # fmt: skip

    content = copy.deepcopy(proposal.get("content") or {})
    if key == "self_assessment":
        version = (questionnaire or {}).get("version") or (content.get("self_assessment") or {}).get(
            "questionnaire_version"
        )
        if version is None:
            return await _render_step(request, session, proposal, etag, step, values=value, status_code=409,
                                      detail="applicant.step.no_questionnaire")  # fmt: skip
        content[key] = {"questionnaire_version": version, "answers": value}
    else:
        content[key] = value
    try:
        await backend(request).put(
            session, "intake", f"/v1/proposals/{proposal_id}/content", content, headers={"If-Match": etag}
        )
    except ApiError as exc:
        if exc.status == 422:
            errors = forms.errors_by_name(exc.field_errors())
            if step == "self-assessment":  # the questions' fields are named `answers.<question id>`
                errors = {k.removeprefix("self_assessment."): v for k, v in errors.items()}
            return await _render_step(request, session, proposal, etag, step, values=value, errors=errors,
                                      detail=exc.detail or exc.title, status_code=422)  # fmt: skip
        if exc.status in (409, 412, 428):
            # Show the entries again against the current draft: saving again applies them to it.
            return await _render_step(request, session, proposal, current_etag, step, values=value,
                                      detail="applicant.step.changed_meanwhile", status_code=409)  # fmt: skip
        raise
    if act == "save":
        return RedirectResponse(_step_url(proposal_id, step, "saved=1"), status_code=303)
    if step == "self-assessment":
        before = set(form.getlist("shown"))
        now_shown = {qid for qid, shown in qn.visibility(questionnaire, value).items() if shown}
        if now_shown - before:  # follow-up questions appeared (no JavaScript): answer them here first
            return RedirectResponse(_step_url(proposal_id, step, "saved=more"), status_code=303)
    following = STEPS[STEPS.index(step) + 1]
    return RedirectResponse(_step_url(proposal_id, following), status_code=303)


@router.post("/proposals/{proposal_id}/edit/self-assessment/questions")
async def questionnaire_fragment(
    request: Request, session: Applicant, proposal_id: uuid.UUID, changed: str = ""
) -> Response:
    """htmx: the questions that `changed`'s answer shows or hides, swapped in place (out of band), as
    the answers in the form (not yet saved) require. Answers to other questions are left alone."""
    form = await request.form()
    proposal, _etag = await load_proposal(request, session, proposal_id)
    questionnaire = await load_questionnaire(request, session, proposal)
    answers = qn.answers_from_form(questionnaire, form)
    affected = set(qn.dependants(questionnaire, changed))
    context = page_context(request, proposal=proposal, errors={}, err=forms.error_lookup({}), affected=affected,
                           **_questionnaire_context(questionnaire, answers, proposal_id))  # fmt: skip
    return render(request, "applicant/_questions_oob.html", context)


# ---------------------------------------------------------------------------------- attachments


async def _attachments_again(
    request: Request, session: PortalSession, proposal_id: uuid.UUID, *, status_code: int = 200, **extra: Any
) -> Response:
    if request.headers.get("HX-Request") == "true":
        proposal, etag = await load_proposal(request, session, proposal_id)
        attachments = await load_attachments(request, session, proposal_id)
        context = page_context(request, proposal=proposal, attachments=attachments, **extra)
        return render(request, "applicant/_attachments.html", context, status_code=status_code)
    if status_code >= 400:
        proposal, etag = await load_proposal(request, session, proposal_id)
        return await _render_step(request, session, proposal, etag, "attachments", status_code=status_code,
                                  detail=extra.get("upload_error"))  # fmt: skip
    return RedirectResponse(_step_url(proposal_id, "attachments", "saved=1"), status_code=303)


@router.post("/proposals/{proposal_id}/attachments")
async def upload(request: Request, session: Applicant, proposal_id: uuid.UUID) -> Response:
    form = await request.form()
    kind = forms.text(form, "kind")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await _attachments_again(request, session, proposal_id, status_code=422,
                                        upload_error="applicant.attachments.file_required")  # fmt: skip
    data = await file.read()
    files = {"file": (file.filename, data, file.content_type or "application/octet-stream")}
    try:
        await backend(request).request(session, "intake", "POST", f"/v1/proposals/{proposal_id}/attachments",
                                       files=files, data={"kind": kind})  # fmt: skip
    except ApiError as exc:
        if exc.status not in (400, 409, 413, 415, 422):
            raise
        message = "; ".join(exc.field_errors().values()) or exc.detail or exc.title
        return await _attachments_again(request, session, proposal_id, status_code=422, upload_error=message)
    return await _attachments_again(request, session, proposal_id, uploaded=file.filename)


@router.post("/proposals/{proposal_id}/attachments/{attachment_id}/delete")
async def delete_attachment(
    request: Request, session: Applicant, proposal_id: uuid.UUID, attachment_id: uuid.UUID
) -> Response:
    path = f"/v1/proposals/{proposal_id}/attachments/{attachment_id}"
    try:
        await backend(request).request(session, "intake", "DELETE", path)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _attachments_again(request, session, proposal_id, status_code=409,
                                        upload_error=exc.detail or exc.title)  # fmt: skip
    return await _attachments_again(request, session, proposal_id)
