"""Event handlers of the appraisal worker (run inside the consumer's transaction)."""

from __future__ import annotations

import logging

from sqlmodel import Session

from rsc_appraisal.references.models import DatasetKind
from rsc_appraisal.screenings import service
from rsc_appraisal.screenings.context import CONTEXT
from rsc_appraisal.screenings.models import AppraisalProposal, ProposalState, ScreeningTrigger
from rsc_common.events import EventEnvelope
from rsc_common.events.types import (
    GrantReappraisalRequested,
    ProposalWithdrawn,
    ReferenceDataChanged,
)

log = logging.getLogger(__name__)
WORKER = "rsc-appraisal-worker"


def on_proposal_withdrawn(session: Session, _envelope: EventEnvelope, data: ProposalWithdrawn) -> None:
    proposal = session.get(AppraisalProposal, data.proposal_id)
    if proposal is not None:
        proposal.state = ProposalState.withdrawn
        session.add(proposal)


def on_reference_changed(session: Session, _envelope: EventEnvelope, data: ReferenceDataChanged) -> None:
    """A newly activated entity-list version re-screens the partners of open cases and funded grants.

    Runs in one transaction: either every affected proposal gets its new screening (and the events
    for new hits) or none does and the event is retried.
    """
    if data.kind != DatasetKind.entity_list or data.action != "activated":
        return
    context = CONTEXT.get(session)
    proposals = service.proposals_to_rescreen(session)
    for proposal in proposals:
        snapshot = service.load_snapshot(session, proposal.proposal_id, proposal.latest_version)
        service.screen_version(
            session,
            context,
            snapshot,
            trigger=ScreeningTrigger.rescreen_list_update,
            actor=f"{WORKER} (list {data.key} {data.version_label})",
            proposal_state=proposal.state,
        )
    log.info("re-screened after list activation", extra={"list": data.key, "proposals": len(proposals)})


def on_reappraisal_requested(session: Session, _envelope: EventEnvelope, data: GrantReappraisalRequested) -> None:
    """A grantee declared a change after award: the proposal is screened again against today's policy,
    lists and country profiles. A match the earlier screening did not have is reported as
    `appraisal.new_list_hit` (monitoring turns a hit on a funded partner into an incident); the new
    screening, with its level and flags, is in the proposal's screening history for the officers."""
    proposal = session.get(AppraisalProposal, data.proposal_id)
    if proposal is None:
        log.warning("re-appraisal requested for unknown proposal %s", data.proposal_id)
        return
    snapshot = service.load_snapshot(session, data.proposal_id, proposal.latest_version)
    service.screen_version(
        session,
        CONTEXT.get(session),
        snapshot,
        trigger=ScreeningTrigger.post_award_change,
        actor=f"{WORKER} (grant {data.grant_reference}: {', '.join(data.changes)})",
        proposal_state=proposal.state,
    )
