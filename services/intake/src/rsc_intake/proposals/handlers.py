"""Appraisal's status events, applied to the applicant's view of the proposal.

Appraisal sends only applicant-visible labels; intake stores nothing more. Events about an older
version than the current one, or about a withdrawn proposal, are recorded as processed and ignored.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope, database_only
from rsc_common.events.types import (
    FINAL_APPLICANT_STATUSES,
    AppraisalInformationRequested,
    AppraisalStatusChanged,
)
from rsc_intake.proposals.models import InformationRequest, Proposal, ProposalStatus
from rsc_intake.proposals.transitions import Actor, transition

log = logging.getLogger(__name__)
APPRAISAL = "service:rsc-appraisal"


def _current(session: Session, proposal_id, version: int) -> Proposal | None:
    proposal = session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise LookupError(f"unknown proposal {proposal_id}")
    if proposal.status == ProposalStatus.withdrawn or version < proposal.current_version:
        log.info("ignoring appraisal event for proposal %s v%s (status %s, current v%s)",
                 proposal_id, version, proposal.status, proposal.current_version)  # fmt: skip
        return None
    return proposal


def on_status_changed(session: Session, _envelope: EventEnvelope, data: AppraisalStatusChanged) -> None:
    proposal = _current(session, data.proposal_id, data.version)
    if proposal is None:
        return
    target = ProposalStatus.decided if data.status in FINAL_APPLICANT_STATUSES else ProposalStatus.under_appraisal
    if proposal.status != target:
        transition(session, proposal, target, actor=Actor.appraisal, who=APPRAISAL, reason=data.status.value)
    if target == ProposalStatus.decided:
        proposal.decided_at = data.changed_at
    proposal.public_status = data.status.value
    proposal.updated_at = utcnow()
    session.add(proposal)


def on_information_requested(session: Session, _envelope: EventEnvelope, data: AppraisalInformationRequested) -> None:
    proposal = _current(session, data.proposal_id, data.version)
    if proposal is None or session.get(InformationRequest, data.request_id) is not None:
        return
    session.add(
        InformationRequest(
            id=data.request_id,
            proposal_id=proposal.id,
            message=data.message,
            due_at=data.due_at,
            requested_at=data.requested_at,
        )
    )
    session.flush()  # the history row below refers to the request's proposal
    if proposal.status != ProposalStatus.information_requested:
        transition(session, proposal, ProposalStatus.information_requested, actor=Actor.appraisal, who=APPRAISAL,
                   reason=f"due {data.due_at.date().isoformat()}")  # fmt: skip


HANDLERS = {
    AppraisalStatusChanged.event_type: database_only(on_status_changed),
    AppraisalInformationRequested.event_type: database_only(on_information_requested),
}
