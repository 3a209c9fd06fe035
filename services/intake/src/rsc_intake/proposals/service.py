"""Proposal operations. Each one is a unit of work: the change, its history row, its outbox event
and (for submissions) its idempotency record commit together or not at all."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, func, insert, update
from sqlmodel import Session, col, select

from rsc_common.auth import Principal
from rsc_common.contracts.proposal import ProposalContent, SelfAssessment
from rsc_common.db.types import utcnow
from rsc_common.events import add_event
from rsc_common.events.outbox import OUTBOX_TABLE, outbox_row
from rsc_common.events.types import (
    AttachmentRef,
    ProposalInformationProvided,
    ProposalResubmitted,
    ProposalSubmitted,
    ProposalWithdrawn,
)
from rsc_common.http import ProblemError
from rsc_intake.attachments import service as attachments
from rsc_intake.calls.models import Call
from rsc_intake.organisations.models import ApplicantOrganisation
from rsc_intake.proposals import access, idempotency, snapshot
from rsc_intake.proposals.diff import diff
from rsc_intake.proposals.etag import check_if_match
from rsc_intake.proposals.models import (
    InformationRequest,
    Proposal,
    ProposalStatus,
    ProposalStatusChange,
    ProposalVersion,
)
from rsc_intake.proposals.schemas import ProposalCreate, SortField, VersionSummary
from rsc_intake.proposals.transitions import Actor, check_transition, require_editable, transition
from rsc_intake.questionnaires import service as questionnaires

SOURCE = "rsc-intake"


def _questionnaire_errors(
    session: Session, call_id: uuid.UUID, assessment: SelfAssessment | None, *, for_submission: bool
) -> list[dict[str, str]]:
    if assessment is None:
        return []
    definition = questionnaires.get_definition(session, call_id, assessment.questionnaire_version)
    return questionnaires.validate_answers(definition, assessment.answers, for_submission=for_submission)


def _check_draft(session: Session, call_id: uuid.UUID, content: ProposalContent, pointer_prefix: str = "") -> None:
    """A draft may be incomplete, but what it answers must fit the questionnaire. Pointers are
    relative to the request body (`pointer_prefix` where the document is nested in it)."""
    errors = [
        {**e, "pointer": pointer_prefix + e["pointer"]}
        for e in _questionnaire_errors(session, call_id, content.self_assessment, for_submission=False)
    ]
    if errors:
        raise ProblemError(422, "invalid-self-assessment", "the self-assessment answers do not fit the questionnaire",
                           errors=errors)  # fmt: skip


def _set_content(proposal: Proposal, content: ProposalContent) -> None:
    proposal.content = content.model_dump(mode="json")
    proposal.acronym = content.details.acronym
    proposal.title = content.details.title


# --------------------------------------------------------------------------------------- drafts


def create(session: Session, principal: Principal, data: ProposalCreate) -> Proposal:
    if principal.organisation_id is None:
        raise ProblemError(403, "no-organisation", "your account is not linked to an applicant organisation")
    if session.get(ApplicantOrganisation, principal.organisation_id) is None:
        raise ProblemError(422, "unknown-organisation", "your organisation is not registered with the funder")
    call = session.get(Call, data.call_id)
    if call is None:
        raise ProblemError(422, "unknown-call", f"call {data.call_id} does not exist")
    if not call.opens_at <= utcnow() < call.closes_at:
        raise ProblemError(422, "call-not-open", f"call {call.identifier} is not open for proposals")
    _check_draft(session, call.id, data.content, pointer_prefix="/content")
    proposal = Proposal(organisation_id=principal.organisation_id, call_id=call.id, created_by=principal.subject)
    _set_content(proposal, data.content)
    session.add(proposal)
    session.commit()
    return proposal


def replace_content(
    session: Session, principal: Principal, proposal_id: uuid.UUID, content: ProposalContent, if_match: str | None
) -> Proposal:
    proposal = access.load_for_write(session, principal, proposal_id)
    check_if_match(if_match, proposal.row_version)
    require_editable(proposal)
    _check_draft(session, proposal.call_id, content)
    _set_content(proposal, content)
    proposal.row_version += 1
    proposal.updated_at = utcnow()
    session.add(proposal)
    session.commit()
    return proposal


# ----------------------------------------------------------------------------------- submission


_proposal = Proposal.__table__
_call = Call.__table__
_organisation = ApplicantOrganisation.__table__
_version = ProposalVersion.__table__
_status_change = ProposalStatusChange.__table__

# The proposal, row-locked (FOR UPDATE OF proposal only), with what a submission needs of its call
# and organisation: one round trip instead of three. Read in the same transaction as before, just
# earlier; the call and the organisation are not locked (they were not before either).
_FOR_SUBMISSION = (
    select(
        _proposal.c.organisation_id,
        _proposal.c.call_id,
        _proposal.c.status,
        _proposal.c.content,
        _proposal.c.current_version,
        _proposal.c.row_version,
        _proposal.c.submitted_at,
        _call.c.identifier.label("call_identifier"),
        _call.c.closes_at.label("call_closes_at"),
        _organisation.c.id.label("org_id"),
        _organisation.c.legal_name,
        _organisation.c.country_code,
        _organisation.c.organisation_type,
        _organisation.c.profile,
    )
    .select_from(
        _proposal.join(_call, _call.c.id == _proposal.c.call_id).outerjoin(
            _organisation, _organisation.c.id == _proposal.c.organisation_id
        )
    )
    .where(_proposal.c.id == bindparam("proposal_id"))
    .with_for_update(of=_proposal)
)


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in values.items()}


def _insert_row(table: Table, prefix: str) -> Insert:
    """INSERT of one row of `table`, every column from the bind parameter `prefix + column name`."""
    return insert(table).values({c.name: bindparam(prefix + c.name) for c in table.columns})


def _submission_writes(with_idempotency_record: bool) -> Update:
    """Every write of a submission as one statement (one round trip, one span): the proposal's
    UPDATE with the version, the history row, the outbox event, the attachments' freeze and the
    idempotency record as data-modifying CTEs, which PostgreSQL runs whether referenced or not.
    They touch different tables, so sharing one snapshot changes nothing. Built once per variant."""
    ctes = [
        _insert_row(_version, "v_").cte("new_version"),
        _insert_row(_status_change, "h_").cte("new_status_change"),
        _insert_row(OUTBOX_TABLE, "o_").cte("new_outbox_event"),
        attachments.FREEZE.cte("frozen_attachments"),
    ]
    if with_idempotency_record:
        ctes.append(_insert_row(idempotency.RECORD_TABLE, "i_").cte("new_idempotency_record"))
    return (
        update(_proposal)
        .where(_proposal.c.id == bindparam("p_id"))
        .values(
            status=bindparam("p_status"),
            updated_at=bindparam("p_updated_at"),
            row_version=bindparam("p_row_version"),
            current_version=bindparam("p_current_version"),
            submitted_at=bindparam("p_submitted_at"),
            public_status=None,
        )
        .add_cte(*ctes)
    )


_SUBMISSION_WRITES = {True: _submission_writes(True), False: _submission_writes(False)}


def submit(
    session: Session, principal: Principal, proposal_id: uuid.UUID, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """Freeze the current content as a new version and publish it. Returns (status, body).

    The hot path of a call deadline, so it works on rows, not ORM objects: one SELECT ... FOR
    UPDATE (proposal, call, organisation), the idempotency look-up, the attachment references, and
    one statement for every write (the version, the history row, the outbox event, the idempotency
    record and the frozen attachments as data-modifying CTEs of the proposal's UPDATE), then the
    commit. Same checks in the same order, same rows, one transaction, as with the ORM.
    """
    idempotency.check_key(idempotency_key)
    organisation_id = access.require_writer(principal, proposal_id)
    conn = session.connection()
    # row lock: one submission (or edit, upload) of this proposal at a time
    row = conn.execute(_FOR_SUBMISSION, {"proposal_id": proposal_id}).one_or_none()
    access.check_owner(organisation_id, proposal_id, row.organisation_id if row is not None else None)
    assert row is not None
    operation = f"submit:{proposal_id}"
    previous = idempotency.replay(
        session, subject=principal.subject, operation=operation, key=idempotency_key, body_hash=""
    )
    if previous is not None:
        return previous.status_code, previous.response

    first = row.current_version == 0
    now = utcnow()
    # The deadline applies to first submissions; answering an information request after it is expected.
    if first and now >= row.call_closes_at:
        raise ProblemError(
            422,
            "call-deadline-passed",
            f"call {row.call_identifier} closed at {row.call_closes_at.isoformat()}; "
            "submissions are no longer accepted",
            closes_at=row.call_closes_at.isoformat(),
        )
    content = snapshot.parse_content(row.content)
    assert row.org_id is not None, f"organisation {row.organisation_id} of proposal {proposal_id} is missing"
    profile = snapshot.organisation_profile(row)
    errors = snapshot.completeness_errors(content) + snapshot.profile_errors(profile)
    errors += _questionnaire_errors(session, row.call_id, content.self_assessment, for_submission=True)
    if errors:
        raise snapshot.incomplete(errors)
    assert content.self_assessment is not None

    from_status = ProposalStatus(row.status)
    check_transition(from_status, ProposalStatus.submitted, Actor.applicant)
    version_no = row.current_version + 1
    content_json = content.model_dump(mode="json")
    org_json = profile.model_dump(mode="json")
    refs = attachments.attachment_refs(session, proposal_id)
    questionnaire_version = content.self_assessment.questionnaire_version
    content_sha256 = snapshot.content_hash(content_json, org_json)
    common = dict(
        proposal_id=proposal_id,
        version=version_no,
        organisation_id=row.organisation_id,
        call_id=row.call_id,
        call_identifier=row.call_identifier,
        submitted_at=now,
        submitted_by=principal.subject,
        organisation=profile,
        content=content,
        questionnaire_version=questionnaire_version,
        attachments=[AttachmentRef(**r) for r in refs],
        content_sha256=content_sha256,
    )
    event = ProposalSubmitted(**common) if first else ProposalResubmitted(**common, previous_version=version_no - 1)
    _envelope, outbox = outbox_row(event, subject=str(proposal_id), source=SOURCE)
    summary = VersionSummary(
        version=version_no,
        submitted_at=now,
        submitted_by=principal.subject,
        questionnaire_version=questionnaire_version,
        content_sha256=content_sha256,
    )
    body = {
        "proposal_id": str(proposal_id),
        "status": ProposalStatus.submitted.value,
        "version": summary.model_dump(mode="json"),
    }
    status = 201
    params = {
        "p_id": proposal_id,
        "p_status": ProposalStatus.submitted,
        "p_updated_at": now,
        "p_row_version": row.row_version + 1,
        "p_current_version": version_no,
        "p_submitted_at": row.submitted_at or now,
        "freeze_proposal_id": proposal_id,
        "freeze_version": version_no,
        **_prefixed("v_", {
            "proposal_id": proposal_id, "version": version_no, "content": content_json, "organisation": org_json,
            "attachments": refs, "questionnaire_version": questionnaire_version, "content_sha256": content_sha256,
            "submitted_at": now, "submitted_by": principal.subject,
        }),
        **_prefixed("h_", {
            "id": uuid.uuid4(), "proposal_id": proposal_id, "from_status": from_status,
            "to_status": ProposalStatus.submitted, "actor": principal.subject,
            "reason": "resubmission" if not first else None, "at": now,
        }),
        **_prefixed("o_", outbox),
    }  # fmt: skip
    if idempotency_key is not None:
        record = idempotency.record_row(subject=principal.subject, operation=operation, key=idempotency_key,
                                        body_hash="", status_code=status, response=body, now=now)  # fmt: skip
        params.update(_prefixed("i_", record))
    conn.execute(_SUBMISSION_WRITES[idempotency_key is not None], params)
    session.commit()
    return status, body


def withdraw(session: Session, principal: Principal, proposal_id: uuid.UUID, reason: str | None) -> Proposal:
    proposal = access.load_for_write(session, principal, proposal_id)
    transition(session, proposal, ProposalStatus.withdrawn, actor=Actor.applicant, who=principal.subject, reason=reason)
    proposal.withdrawn_at = utcnow()
    add_event(
        session,
        ProposalWithdrawn(
            proposal_id=proposal.id,
            organisation_id=proposal.organisation_id,
            last_version=proposal.current_version,
            withdrawn_at=proposal.withdrawn_at,
            reason=reason,
        ),
        subject=str(proposal.id),
        source=SOURCE,
    )
    session.commit()
    return proposal


def respond(
    session: Session, principal: Principal, proposal_id: uuid.UUID, request_id: uuid.UUID, response: str
) -> InformationRequest:
    proposal = access.load_for_write(session, principal, proposal_id)
    request = session.get(InformationRequest, request_id)
    if request is None or request.proposal_id != proposal.id:
        raise ProblemError(404, "not-found", f"information request {request_id} not found")
    if request.responded_at is not None:
        raise ProblemError(409, "already-answered", "this information request was already answered")
    transition(session, proposal, ProposalStatus.information_provided, actor=Actor.applicant, who=principal.subject)
    request.response = response
    request.responded_at = utcnow()
    request.responded_by = principal.subject
    session.add(request)
    add_event(
        session,
        ProposalInformationProvided(
            proposal_id=proposal.id,
            request_id=request.id,
            responded_at=request.responded_at,
            responded_by=principal.subject,
            response=response,
        ),
        subject=str(proposal.id),
        source=SOURCE,
    )
    session.commit()
    return request


# -------------------------------------------------------------------------------------- reading


def list_proposals(
    session: Session,
    principal: Principal,
    *,
    status: ProposalStatus | None,
    call_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    q: str | None,
    sort: SortField,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[Proposal], int]:
    query = select(Proposal)
    if not access.can_read_all(principal):
        if principal.organisation_id is None:
            return [], 0
        query = query.where(Proposal.organisation_id == principal.organisation_id)
    elif organisation_id is not None:
        query = query.where(Proposal.organisation_id == organisation_id)
    if status is not None:
        query = query.where(Proposal.status == status)
    if call_id is not None:
        query = query.where(Proposal.call_id == call_id)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(col(Proposal.acronym).ilike(pattern) | col(Proposal.title).ilike(pattern))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    column = col(getattr(Proposal, sort.value))
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    items = session.exec(query.order_by(order, col(Proposal.id)).limit(limit).offset(offset)).all()
    return list(items), total


def versions(session: Session, proposal: Proposal) -> list[ProposalVersion]:
    return list(
        session.exec(
            select(ProposalVersion)
            .where(ProposalVersion.proposal_id == proposal.id)
            .order_by(col(ProposalVersion.version))
        )
    )


def get_version(session: Session, proposal: Proposal, number: int) -> ProposalVersion:
    version = session.get(ProposalVersion, (proposal.id, number))
    if version is None:
        raise ProblemError(404, "not-found", f"proposal {proposal.id} has no version {number}")
    return version


def version_diff(session: Session, proposal: Proposal, a: int, b: int) -> list[dict[str, Any]]:
    va, vb = get_version(session, proposal, a), get_version(session, proposal, b)
    return diff(
        {"content": va.content, "organisation": va.organisation, "attachments": va.attachments},
        {"content": vb.content, "organisation": vb.organisation, "attachments": vb.attachments},
    )


def history(session: Session, proposal: Proposal) -> list[ProposalStatusChange]:
    return list(
        session.exec(
            select(ProposalStatusChange)
            .where(ProposalStatusChange.proposal_id == proposal.id)
            .order_by(col(ProposalStatusChange.at))
        )
    )


def information_requests(session: Session, proposal: Proposal) -> list[InformationRequest]:
    return list(
        session.exec(
            select(InformationRequest)
            .where(InformationRequest.proposal_id == proposal.id)
            .order_by(col(InformationRequest.requested_at))
        )
    )
