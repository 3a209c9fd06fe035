from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from rsc_common.auth import Principal, RequireRoles, Role
from rsc_common.contracts.proposal import ProposalContent
from rsc_common.http import SessionDep
from rsc_intake.proposals import access, service
from rsc_intake.proposals.etag import etag
from rsc_intake.proposals.models import Proposal, ProposalStatus
from rsc_intake.proposals.schemas import (
    InformationRequestPublic,
    InformationResponse,
    ProposalCreate,
    ProposalPage,
    ProposalPublic,
    ProposalSummary,
    SortField,
    StatusChangePublic,
    VersionDiff,
    VersionPublic,
    VersionSummary,
    Withdrawal,
)
from rsc_intake.proposals.snapshot import parse_content

router = APIRouter(prefix="/v1/proposals", tags=["proposals"])

Applicant = Annotated[Principal, Depends(RequireRoles(Role.applicant))]
Reader = Annotated[
    Principal, Depends(RequireRoles(Role.applicant, Role.case_officer, Role.security_adviser, Role.auditor))
]
IfMatch = Annotated[str | None, Header(description="The ETag last read (optimistic locking).")]
# Bounded so that no number reaches PostgreSQL's `integer` out of range.
VersionNo = Annotated[int, Path(ge=1, le=1_000_000)]
IdempotencyKey = Annotated[str | None, Header(description="Repeat-safe key: a retry returns the first answer.")]


def public(proposal: Proposal, response: Response | None = None) -> ProposalPublic:
    if response is not None:
        response.headers["ETag"] = etag(proposal.row_version)
    return ProposalPublic.model_validate(
        {**proposal.model_dump(exclude={"content"}), "content": parse_content(proposal.content)}
    )


@router.post("", response_model=ProposalPublic, status_code=status.HTTP_201_CREATED, summary="Start a draft")
def create_proposal(
    data: ProposalCreate, session: SessionDep, principal: Applicant, response: Response
) -> ProposalPublic:
    proposal = service.create(session, principal, data)
    response.headers["Location"] = f"/v1/proposals/{proposal.id}"
    return public(proposal, response)


@router.get("", response_model=ProposalPage, summary="List proposals (own organisation's for applicants)")
def list_proposals(
    session: SessionDep,
    principal: Reader,
    status_: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    call_id: uuid.UUID | None = None,
    organisation_id: Annotated[uuid.UUID | None, Query(description="Funder staff only.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in acronym or title.")] = None,
    sort: Annotated[str, Query(pattern=r"^-?(created_at|updated_at|submitted_at|acronym|status)$")] = "-updated_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ProposalPage:
    items, total = service.list_proposals(
        session,
        principal,
        status=status_,
        call_id=call_id,
        organisation_id=organisation_id,
        q=q,
        sort=SortField(sort.lstrip("-")),
        descending=sort.startswith("-"),
        limit=limit,
        offset=offset,
    )
    return ProposalPage(
        items=[ProposalSummary.model_validate(p, from_attributes=True) for p in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{proposal_id}", response_model=ProposalPublic, summary="One proposal with its current draft")
def get_proposal(proposal_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response) -> ProposalPublic:
    return public(access.load_for_read(session, principal, proposal_id), response)


@router.put("/{proposal_id}/content", response_model=ProposalPublic, summary="Replace the draft (needs If-Match)")
def replace_content(
    proposal_id: uuid.UUID,
    content: ProposalContent,
    session: SessionDep,
    principal: Applicant,
    response: Response,
    if_match: IfMatch = None,
) -> ProposalPublic:
    return public(service.replace_content(session, principal, proposal_id, content, if_match), response)


@router.post(
    "/{proposal_id}/submit",
    status_code=status.HTTP_201_CREATED,
    summary="Submit (or resubmit) the draft as a new frozen version",
    responses={201: {"description": "The new version"}},
)
async def submit(
    proposal_id: uuid.UUID, request: Request, principal: Applicant, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    # The hot path of a call deadline: the unit of work (session, submission, commit, close) runs in
    # one thread-pool call instead of three (a `SessionDep` would open and close the session in
    # calls of their own); the token check before it runs on the event loop (rsc_common.auth).
    code, body = await run_in_threadpool(_submit, request.app.state.engine, principal, proposal_id, idempotency_key)
    return JSONResponse(body, status_code=code)


def _submit(
    engine: Engine, principal: Principal, proposal_id: uuid.UUID, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    with Session(engine, expire_on_commit=False) as session:
        return service.submit(session, principal, proposal_id, idempotency_key)


@router.post("/{proposal_id}/withdraw", response_model=ProposalPublic, summary="Withdraw before a decision")
def withdraw(
    proposal_id: uuid.UUID, data: Withdrawal, session: SessionDep, principal: Applicant, response: Response
) -> ProposalPublic:
    return public(service.withdraw(session, principal, proposal_id, data.reason), response)


@router.get("/{proposal_id}/versions", response_model=list[VersionSummary], summary="Submitted versions")
def list_versions(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> list:
    return service.versions(session, access.load_for_read(session, principal, proposal_id))


@router.get("/{proposal_id}/versions/{version}", response_model=VersionPublic, summary="One frozen version")
def get_version(proposal_id: uuid.UUID, version: VersionNo, session: SessionDep,
                principal: Reader) -> object:  # fmt: skip
    return service.get_version(session, access.load_for_read(session, principal, proposal_id), version)


@router.get(
    "/{proposal_id}/versions/{from_version}/diff/{to_version}",
    response_model=VersionDiff,
    summary="What changed between two versions",
)
def diff_versions(
    proposal_id: uuid.UUID, from_version: VersionNo, to_version: VersionNo, session: SessionDep, principal: Reader
) -> VersionDiff:
    proposal = access.load_for_read(session, principal, proposal_id)
    changes = service.version_diff(session, proposal, from_version, to_version)
    return VersionDiff(proposal_id=proposal.id, from_version=from_version, to_version=to_version, changes=changes)


@router.get("/{proposal_id}/history", response_model=list[StatusChangePublic], summary="Status history")
def history(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> list:
    return service.history(session, access.load_for_read(session, principal, proposal_id))


@router.get(
    "/{proposal_id}/information-requests",
    response_model=list[InformationRequestPublic],
    summary="Information requests from the funder",
)
def information_requests(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> list:
    return service.information_requests(session, access.load_for_read(session, principal, proposal_id))


@router.post(
    "/{proposal_id}/information-requests/{request_id}/response",
    response_model=InformationRequestPublic,
    summary="Answer an information request",
)
def respond(
    proposal_id: uuid.UUID, request_id: uuid.UUID, data: InformationResponse, session: SessionDep, principal: Applicant
) -> object:
    return service.respond(session, principal, proposal_id, request_id, data.response)
