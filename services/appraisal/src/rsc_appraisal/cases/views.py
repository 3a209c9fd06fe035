"""Casework API: the officer queue, case detail, statistics, and officer actions.

Reads come from the read model (`appraisal_case`, `case_change`, `sla_clock`). Actions are Temporal
updates on the case's workflow: the route only delivers the command; the workflow's validator refuses
an invalid one (409 problem with the reason) before anything is written, and an accepted one returns
once its change is recorded. Nothing runs in the request thread beyond that call.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from rsc_appraisal.cases import contracts as c
from rsc_appraisal.cases import queries
from rsc_appraisal.cases.models import AppraisalCase
from rsc_appraisal.cases.schemas import (
    AppraisalCreate,
    AssignCreate,
    AwardCreate,
    BulkReassignCreate,
    BulkResult,
    CaseDetail,
    CasePage,
    CasePublic,
    CaseStatistics,
    ChangePublic,
    ClaimCreate,
    DecisionCreate,
    ExtensionCreate,
    InformationRequestCreate,
    LinkedCase,
    MeasureRevision,
    MeasureVerification,
    NoteCreate,
    NotePublic,
    ReassignCreate,
    ReferralAnswerCreate,
    ReferralCreate,
    ReviewCreate,
    SafeguardCataloguePublic,
    SlaPublic,
)
from rsc_appraisal.cases.workflow import AppraisalWorkflow
from rsc_appraisal.permissions import CaseReader, CaseWorker, SafeguardCatalogueReader, StatisticsReader
from rsc_appraisal.policy.safeguards import default_safeguard_catalogue
from rsc_appraisal.sla.contracts import ExtendRequest, sla_clock_id
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from rsc_common.auth import Principal
from rsc_common.events import add_event
from rsc_common.events.types import CaseNotesRead
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_common.temporal import TRANSIENT_RPC, connect

router = APIRouter(prefix="/v1", tags=["cases"])


# ------------------------------------------------------------------------------------ helpers


async def _client(request: Request) -> Client:
    state = request.app.state
    client = getattr(state, "temporal_client", None)
    if client is None:  # one connection per process, made on first use (the API starts without Temporal)
        client = state.temporal_client = await connect(state.settings.temporal)
    return client


def _actor(principal: Principal) -> c.Actor:
    return c.Actor(subject=principal.subject, roles=tuple(sorted(principal.roles)), name=principal.username)


def _load(engine, case_id: uuid.UUID) -> AppraisalCase:
    with Session(engine) as session:
        case = session.get(AppraisalCase, case_id)
    if case is None:
        raise ProblemError(404, "not-found", f"no case {case_id}")
    return case


UPDATE_WAIT_SECONDS = 90  # how long an action waits for a worker (e.g. one restarting) before a 503


async def _execute(handle, update, arg, *, what: str, refused: str):
    """Deliver one update and wait for its answer. One update id for every attempt: Temporal applies an
    update id once, so retrying after a transient error (no worker polling for a while) never applies it
    twice. A refusal by the validator is a 409 naming the reason; an ended workflow a 409 too."""
    update_id = str(uuid.uuid4())
    deadline = time.monotonic() + UPDATE_WAIT_SECONDS
    while True:
        try:
            return await handle.execute_update(update, arg, id=update_id)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            detail = cause.message if isinstance(cause, ApplicationError) else str(cause)
            raise ProblemError(409, refused, detail, title="The action was refused") from None
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
            transient = not isinstance(exc, RPCError) or exc.status in TRANSIENT_RPC
            if transient and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                continue
            if transient:
                raise ProblemError(
                    503, "case-workflow-unavailable", f"no appraisal worker answered for {what}; retry"
                ) from None
            raise ProblemError(409, "case-closed", f"{what} accepts no more actions ({exc.message})") from None


async def _update(request: Request, case_id: uuid.UUID, update, arg) -> dict[str, Any]:
    case = await run_in_threadpool(_load, request.app.state.engine, case_id)
    handle = (await _client(request)).get_workflow_handle(case.workflow_id)
    view = await _execute(handle, update, arg, what=f"case {case.case_ref}", refused="case-action-refused")
    return {"case_id": str(case_id), "status": view.status.value, "seq": view.seq}


# ------------------------------------------------------------------------------------ reads


def _sla_public(row) -> SlaPublic | None:
    return SlaPublic.model_validate(row, from_attributes=True) if row is not None else None


def _public(case: AppraisalCase, sla) -> CasePublic:
    return CasePublic.model_validate({**case.model_dump(), "sla": _sla_public(sla)})


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    _: CaseReader,
    status: Annotated[list[str] | None, Query()] = None,
    level: Annotated[list[str] | None, Query()] = None,
    assignee: str | None = None,
    call_identifier: str | None = None,
    programme: str | None = None,
    sla_due_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    overdue: bool | None = None,
    include_closed: bool = False,
    auto_cleared: bool | None = None,
    proposal_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """The queue, soonest SLA due date first (cases without a clock last)."""
    f = queries.QueueFilter(
        status=status,
        level=level,
        assignee=assignee,
        call_identifier=call_identifier,
        programme=programme,
        sla_due_within_days=sla_due_within_days,
        overdue=overdue,
        include_closed=include_closed,
        auto_cleared=auto_cleared,
        proposal_id=proposal_id,
    )
    rows, total = queries.list_cases(session, f, limit=limit, offset=offset)
    return CasePage(items=[_public(case, sla) for case, sla in rows], total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: uuid.UUID, session: SessionDep, principal: CaseReader) -> CaseDetail:
    case = queries.get_case(session, case_id)
    if case is None:
        raise ProblemError(404, "not-found", f"no case {case_id}")
    notes = None
    if queries.may_read_notes(case, principal):
        notes = [NotePublic.model_validate(n, from_attributes=True) for n in queries.notes_of(session, case.id)]
        _audit_notes_read(session, case, principal, len(notes))
    return CaseDetail.model_validate(
        {
            **case.model_dump(),
            "sla": _sla_public(queries.sla_of(session, case)),
            "screening": queries.screening_summary(session, case),
            "timeline": [
                ChangePublic.model_validate(r, from_attributes=True) for r in queries.timeline(session, case.id)
            ],
            "linked_cases": [
                LinkedCase(
                    case_id=other.id,
                    case_ref=other.case_ref,
                    status=other.status,
                    level=other.level,
                    decision=other.decision,
                    shared_organisations=[uuid.UUID(o) for o in shared],
                )
                for other, shared in queries.linked_cases(session, case)
            ],
            "match_decisions": [d.model_dump(mode="json") for d in queries.match_decisions(session, case)],
            "notes": notes,
        }
    )


@router.get("/cases/{case_id}/changes", response_model=list[ChangePublic])
def list_changes(case_id: uuid.UUID, session: SessionDep, _: CaseReader) -> list:
    if queries.get_case(session, case_id) is None:
        raise ProblemError(404, "not-found", f"no case {case_id}")
    return queries.timeline(session, case_id)


@router.get("/case-statistics", response_model=CaseStatistics)
def case_statistics(session: SessionDep, _: StatisticsReader, call_identifier: str | None = None) -> dict:
    return queries.case_statistics(session, call_identifier=call_identifier)


@cache
def _safeguard_catalogue() -> SafeguardCataloguePublic:
    # the catalogue the case workflow checks a decision's measures against (shipped data, loaded once)
    return SafeguardCataloguePublic.model_validate(default_safeguard_catalogue().model_dump(mode="json"))


@router.get(
    "/safeguard-catalogue",
    response_model=SafeguardCataloguePublic,
    summary="The safeguard catalogue: every measure a decision to clear with safeguards may propose",
)
def safeguard_catalogue(_: SafeguardCatalogueReader) -> SafeguardCataloguePublic:
    return _safeguard_catalogue()


# ------------------------------------------------------------------------------------ actions


@router.post("/cases/{case_id}/claim")
async def claim(case_id: uuid.UUID, body: ClaimCreate, request: Request, principal: CaseWorker) -> dict:
    return await _update(request, case_id, AppraisalWorkflow.claim, c.ClaimRequest(_actor(principal), body.role))


@router.post("/cases/{case_id}/assign")
async def assign(case_id: uuid.UUID, body: AssignCreate, request: Request, principal: CaseWorker) -> dict:
    assignee = c.Assignment(subject=body.subject, role=body.role, name=body.name)
    return await _update(
        request, case_id, AppraisalWorkflow.assign, c.AssignRequest(_actor(principal), assignee, body.reason)
    )


def _reassign_request(principal: Principal, body: ReassignCreate, role: str) -> c.ReassignRequest:
    return c.ReassignRequest(
        actor=_actor(principal),
        from_subject=body.from_subject,
        to=c.Assignment(subject=body.to_subject, role=role, name=body.to_name),
        reason=body.reason,
    )


@router.post("/cases/{case_id}/reassign")
async def reassign(case_id: uuid.UUID, body: ReassignCreate, request: Request, principal: CaseWorker) -> dict:
    case = await run_in_threadpool(_load, request.app.state.engine, case_id)
    role = next((a["role"] for a in case.assignees if a["subject"] == body.from_subject), "case_officer")
    return await _update(request, case_id, AppraisalWorkflow.reassign, _reassign_request(principal, body, role))


def _cases_of(engine, subject: str, case_ids: list[uuid.UUID] | None) -> list[AppraisalCase]:
    with Session(engine) as session:
        rows, _ = queries.list_cases(session, queries.QueueFilter(assignee=subject), limit=500, offset=0)
    cases = [case for case, _ in rows]
    return [case for case in cases if case_ids is None or case.id in set(case_ids)]


@router.post("/cases/reassign", response_model=list[BulkResult])
async def bulk_reassign(body: BulkReassignCreate, request: Request, principal: CaseWorker) -> list[BulkResult]:
    """Move active cases from one person to another (absence, workload); one result per case."""
    cases = await run_in_threadpool(_cases_of, request.app.state.engine, body.from_subject, body.case_ids)
    results = []
    for case in cases:
        role = next(a["role"] for a in case.assignees if a["subject"] == body.from_subject)
        try:
            await _update(request, case.id, AppraisalWorkflow.reassign, _reassign_request(principal, body, role))
            results.append(BulkResult(case_id=case.id, ok=True))
        except ProblemError as exc:
            results.append(BulkResult(case_id=case.id, ok=False, detail=exc.detail))
    return results


@router.post("/cases/{case_id}/notes", status_code=201)
async def add_note(case_id: uuid.UUID, body: NoteCreate, request: Request, principal: CaseWorker) -> dict:
    note_id = uuid.uuid4()
    answer = await _update(
        request, case_id, AppraisalWorkflow.add_note, c.NoteRequest(_actor(principal), body.body, note_id)
    )
    return {**answer, "note_id": str(note_id)}


@router.get("/cases/{case_id}/notes", response_model=list[NotePublic])
def list_notes(case_id: uuid.UUID, session: SessionDep, principal: CaseReader) -> list:
    case = queries.get_case(session, case_id)
    if case is None:
        raise ProblemError(404, "not-found", f"no case {case_id}")
    if not queries.may_read_notes(case, principal):
        raise ProblemError(403, "need-to-know", "notes are visible to the reviewers assigned and security advisers")
    notes = queries.notes_of(session, case_id)
    _audit_notes_read(session, case, principal, len(notes))
    return notes


def _audit_notes_read(session: Session, case: AppraisalCase, principal: Principal, count: int) -> None:
    """Reading need-to-know notes is itself audited (an event for the audit log), when there are any."""
    if not count:
        return
    add_event(
        session,
        CaseNotesRead(
            case_id=case.id,
            proposal_id=case.proposal_id,
            version=case.version,
            read_by=principal.subject,
            notes=count,
            at=datetime.now(UTC),
        ),
        subject=str(case.proposal_id),
        source="rsc-appraisal",
    )
    session.commit()


@router.post("/cases/{case_id}/information-requests", status_code=201)
async def request_information(
    case_id: uuid.UUID, body: InformationRequestCreate, request: Request, principal: CaseWorker
) -> dict:
    request_id = uuid.uuid4()
    arg = c.InformationRequestRequest(_actor(principal), request_id, body.message, body.due_at)
    answer = await _update(request, case_id, AppraisalWorkflow.request_information, arg)
    return {**answer, "request_id": str(request_id)}


@router.post("/cases/{case_id}/appraisal")
async def record_appraisal(case_id: uuid.UUID, body: AppraisalCreate, request: Request, principal: CaseWorker) -> dict:
    factors = [c.FactorAssessment(f.category.value, f.level.value, f.rationale) for f in body.factors]
    arg = c.AppraisalRequest(_actor(principal), factors, body.summary)
    return await _update(request, case_id, AppraisalWorkflow.record_appraisal, arg)


@router.post("/cases/{case_id}/decision")
async def decide(case_id: uuid.UUID, body: DecisionCreate, request: Request, principal: CaseWorker) -> dict:
    measures = [c.ProposedMeasure(m.measure_id, m.owner, m.due_at, m.evidence_required, m.terms) for m in body.measures]
    arg = c.DecisionRequest(_actor(principal), body.outcome, body.reason, body.appeal_path, measures)
    return await _update(request, case_id, AppraisalWorkflow.decide, arg)


@router.post("/cases/{case_id}/decision/confirm")
async def confirm_decision(case_id: uuid.UUID, body: ReviewCreate, request: Request, principal: CaseWorker) -> dict:
    arg = c.ReviewRequest(_actor(principal), body.reason)
    return await _update(request, case_id, AppraisalWorkflow.confirm_decision, arg)


@router.post("/cases/{case_id}/decision/return")
async def return_decision(case_id: uuid.UUID, body: ReviewCreate, request: Request, principal: CaseWorker) -> dict:
    arg = c.ReviewRequest(_actor(principal), body.reason)
    return await _update(request, case_id, AppraisalWorkflow.return_decision, arg)


@router.post("/cases/{case_id}/referral")
async def refer(case_id: uuid.UUID, body: ReferralCreate, request: Request, principal: CaseWorker) -> dict:
    arg = c.ReferralRequest(_actor(principal), body.authority, body.reason)
    return await _update(request, case_id, AppraisalWorkflow.refer, arg)


@router.post("/cases/{case_id}/referral/answer")
async def referral_answer(
    case_id: uuid.UUID, body: ReferralAnswerCreate, request: Request, principal: CaseWorker
) -> dict:
    arg = c.ReferralAnswer(_actor(principal), body.answer, body.recommendation)
    return await _update(request, case_id, AppraisalWorkflow.record_referral_answer, arg)


@router.post("/cases/{case_id}/measures/{measure_id}/revise")
async def revise_measure(
    case_id: uuid.UUID, measure_id: str, body: MeasureRevision, request: Request, principal: CaseWorker
) -> dict:
    arg = c.ReviseMeasureRequest(
        _actor(principal), measure_id, body.reason, body.owner, body.due_at, body.evidence_required, body.terms
    )
    return await _update(request, case_id, AppraisalWorkflow.revise_measure, arg)


@router.post("/cases/{case_id}/measures/{measure_id}/verify")
async def verify_measure(
    case_id: uuid.UUID, measure_id: str, body: MeasureVerification, request: Request, principal: CaseWorker
) -> dict:
    arg = c.VerifyMeasureRequest(_actor(principal), measure_id, body.note)
    return await _update(request, case_id, AppraisalWorkflow.verify_measure, arg)


@router.post("/cases/{case_id}/award")
async def award(case_id: uuid.UUID, body: AwardCreate, request: Request, principal: CaseWorker) -> dict:
    arg = c.AwardRequest(_actor(principal), body.grant_reference, body.signed_at)
    return await _update(request, case_id, AppraisalWorkflow.award, arg)


@router.post("/cases/{case_id}/sla/extension")
async def extend_sla(case_id: uuid.UUID, body: ExtensionCreate, request: Request, principal: CaseWorker) -> dict:
    """Extend the appraisal budget (reason required; audited by the clock and emitted as `sla.extended`)."""
    case = await run_in_threadpool(_load, request.app.state.engine, case_id)
    if not any(a["subject"] == principal.subject for a in case.assignees):
        raise ProblemError(409, "case-action-refused", "only a reviewer assigned to the case may extend its SLA")
    client = await _client(request)
    handle = client.get_workflow_handle_for(SlaClockWorkflow.run, sla_clock_id(case.proposal_id, case.version))
    extension = ExtendRequest(working_days=body.working_days, reason=body.reason, actor=principal.subject)
    state = await _execute(
        handle,
        SlaClockWorkflow.extend,
        extension,
        what=f"the SLA clock of {case.case_ref}",
        refused="sla-extension-refused",
    )
    return {"case_id": str(case_id), "due_at": state.due_at.isoformat() if state.due_at else None}
