"""Safeguard operations: reading the measures, and the applicant's response, which is one unit of
work (the response row, the measure's new status, the outbox event and the idempotency record
commit together or not at all; nothing is published directly)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from rsc_common.auth import Principal
from rsc_common.db.types import utcnow
from rsc_common.events import add_event
from rsc_common.events.types import ProposalSafeguardResponse
from rsc_common.http import ProblemError
from rsc_intake.attachments.models import Attachment
from rsc_intake.proposals import access, idempotency
from rsc_intake.proposals.models import IdempotencyRecord, Proposal
from rsc_intake.safeguards import rules
from rsc_intake.safeguards.models import SafeguardMeasure, SafeguardResponse, SafeguardSet
from rsc_intake.safeguards.schemas import (
    SafeguardMeasurePublic,
    SafeguardResponseAccepted,
    SafeguardResponseCreate,
    SafeguardResponsePublic,
    SafeguardsPublic,
)

SOURCE = "rsc-intake"
MEASURE_FIELDS = {"measure_id", "title", "owner", "due_at", "evidence_required", "terms", "status"}


def latest_set(session: Session, proposal_id: uuid.UUID) -> SafeguardSet | None:
    """The safeguards of the latest proposal version that has any."""
    query = (
        select(SafeguardSet).where(SafeguardSet.proposal_id == proposal_id).order_by(col(SafeguardSet.version).desc())
    )
    return session.exec(query.limit(1)).first()


def _is_open(proposal: Proposal, safeguards: SafeguardSet) -> bool:
    return rules.is_open(agreed=safeguards.agreed_at is not None, proposal_status=proposal.status,
                         version=safeguards.version, current_version=proposal.current_version)  # fmt: skip


def _response_public(response: SafeguardResponse) -> SafeguardResponsePublic:
    return SafeguardResponsePublic.model_validate(response, from_attributes=True)


# -------------------------------------------------------------------------------------- reading


def safeguards(session: Session, proposal: Proposal) -> SafeguardsPublic:
    current = latest_set(session, proposal.id)
    if current is None:
        return SafeguardsPublic(proposal_id=proposal.id, version=None, proposed_at=None, agreed_at=None, open=False,
                                measures=[])  # fmt: skip
    open_ = _is_open(proposal, current)
    measures = session.exec(
        select(SafeguardMeasure)
        .where(SafeguardMeasure.proposal_id == proposal.id, SafeguardMeasure.version == current.version)
        .order_by(col(SafeguardMeasure.position), col(SafeguardMeasure.measure_id))
    ).all()
    responses: dict[str, list[SafeguardResponsePublic]] = {}
    for r in session.exec(
        select(SafeguardResponse)
        .where(SafeguardResponse.proposal_id == proposal.id, SafeguardResponse.version == current.version)
        .order_by(col(SafeguardResponse.responded_at), col(SafeguardResponse.id))
    ):
        responses.setdefault(r.measure_id, []).append(_response_public(r))
    return SafeguardsPublic(
        proposal_id=proposal.id,
        version=current.version,
        proposed_at=current.proposed_at,
        agreed_at=current.agreed_at,
        open=open_,
        measures=[
            SafeguardMeasurePublic(
                **m.model_dump(include=MEASURE_FIELDS),
                allowed_responses=rules.allowed_kinds(m.status) if open_ else [],
                responses=responses.get(m.measure_id, []),
            )
            for m in measures
        ],
    )


# ------------------------------------------------------------------------------------ responding


def _check_evidence(session: Session, proposal_id: uuid.UUID, evidence: list[uuid.UUID]) -> list[str]:
    """The evidence ids (first occurrence order, without repeats); 422 unless each is an attachment
    of this proposal."""
    ids = list(dict.fromkeys(evidence))
    if not ids:
        return []
    found = set(
        session.exec(select(Attachment.id).where(Attachment.proposal_id == proposal_id, col(Attachment.id).in_(ids)))
    )
    errors = [
        {"pointer": f"/evidence/{i}", "location": ["body", "evidence", i],
         "message": f"{a} is not an attachment of this proposal"}
        for i, a in enumerate(evidence) if a not in found
    ]  # fmt: skip
    if errors:
        raise ProblemError(422, "unknown-evidence", "evidence must name attachments of this proposal", errors=errors)
    return [str(a) for a in ids]


def respond(
    session: Session,
    principal: Principal,
    proposal_id: uuid.UUID,
    measure_id: str,
    data: SafeguardResponseCreate,
    idempotency_key: str | None,
) -> tuple[int, dict[str, Any]]:
    """Record the applicant's response to a measure and stage `proposal.safeguard_response`.
    Returns (status, body); a repeat with the same Idempotency-Key gets the first answer again."""
    idempotency.check_key(idempotency_key)
    proposal = access.load_for_write(session, principal, proposal_id)  # row lock: one response at a time
    operation = f"safeguard-response:{proposal_id}:{measure_id}"
    body_hash = idempotency.request_hash(data.model_dump(mode="json"))
    previous = idempotency.replay(
        session, subject=principal.subject, operation=operation, key=idempotency_key, body_hash=body_hash
    )
    if previous is not None:
        return previous.status_code, previous.response

    current = latest_set(session, proposal.id)
    measure = None if current is None else session.get(SafeguardMeasure, (proposal.id, current.version, measure_id))
    if current is None or measure is None:
        raise ProblemError(404, "not-found", f"safeguard measure {measure_id} not found")
    closed = rules.closed_problem(agreed=current.agreed_at is not None, proposal_status=proposal.status,
                                  version=current.version, current_version=proposal.current_version)  # fmt: skip
    if closed is not None:
        raise closed
    new_status = rules.check_response(data.kind, measure.status, measure_id)
    evidence = _check_evidence(session, proposal.id, data.evidence)

    now = utcnow()
    response = SafeguardResponse(proposal_id=proposal.id, version=current.version, measure_id=measure_id,
                                 kind=data.kind, text=data.text, evidence=evidence, responded_by=principal.subject,
                                 responded_at=now)  # fmt: skip
    session.add(response)
    measure.status = new_status
    measure.responded_at = now
    session.add(measure)
    add_event(
        session,
        ProposalSafeguardResponse(
            proposal_id=proposal.id,
            version=current.version,
            measure_id=measure_id,
            kind=data.kind.value,
            text=data.text,
            evidence=evidence,
            responded_by=principal.subject,
            responded_at=now,
        ),
        subject=str(proposal.id),
        source=SOURCE,
    )
    status = 202
    body = SafeguardResponseAccepted(**_response_public(response).model_dump(), measure_status=new_status).model_dump(
        mode="json"
    )
    if idempotency_key is not None:
        record = idempotency.record_row(subject=principal.subject, operation=operation, key=idempotency_key,
                                        body_hash=body_hash, status_code=status, response=body, now=now)  # fmt: skip
        session.add(IdempotencyRecord(**record))
    session.commit()
    return status, body
