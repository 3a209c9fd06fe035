"""Appraisal's safeguard events, stored as the applicant sees them.

Idempotent and order-tolerant: the consumer skips an event it already processed (by event id);
beyond that, a report older than the one already applied to a measure is ignored, an update for a
measure that is not known (yet) is ignored, and `safeguards.agreed` carries every measure, so it
applies even without the proposal before it. Events about an older version than the current one, or
about a withdrawn proposal, are ignored (as for appraisal's status events). Each handler holds the
proposal's row lock, so it serialises with the applicant's responses.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope, database_only
from rsc_common.events.types import SafeguardMeasureTerms, SafeguardMeasureUpdated, SafeguardsAgreed, SafeguardsProposed
from rsc_intake.proposals.models import Proposal, ProposalStatus
from rsc_intake.safeguards.models import SafeguardMeasure, SafeguardSet
from rsc_intake.safeguards.rules import report_applies

log = logging.getLogger(__name__)


def _current(session: Session, proposal_id: uuid.UUID, version: int) -> Proposal | None:
    proposal = session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise LookupError(f"unknown proposal {proposal_id}")
    if proposal.status == ProposalStatus.withdrawn or version < proposal.current_version:
        log.info("ignoring safeguard event for proposal %s v%s (status %s, current v%s)",
                 proposal_id, version, proposal.status, proposal.current_version)  # fmt: skip
        return None
    return proposal


def _measures(session: Session, proposal_id: uuid.UUID, version: int) -> dict[str, SafeguardMeasure]:
    rows = session.exec(
        select(SafeguardMeasure)
        .where(SafeguardMeasure.proposal_id == proposal_id, SafeguardMeasure.version == version)
        .order_by(col(SafeguardMeasure.position))
    )
    return {m.measure_id: m for m in rows}


def _term_values(terms: SafeguardMeasureTerms, at: datetime) -> dict:
    return {
        "title": terms.title,
        "owner": terms.owner,
        "due_at": terms.due_at,
        "evidence_required": terms.evidence_required,
        "terms": terms.terms,
        "status": terms.status,
        "appraisal_updated_at": at,
    }


def _apply_terms(measure: SafeguardMeasure, terms: SafeguardMeasureTerms, at: datetime) -> None:
    for name, value in _term_values(terms, at).items():
        setattr(measure, name, value)


def _upsert(
    session: Session,
    safeguards: SafeguardSet,
    measures: list[SafeguardMeasureTerms],
    at: datetime,
    *,
    remove_others: bool,
) -> None:
    """Apply each measure's terms reported at `at` (unless a newer report was applied already)."""
    known = _measures(session, safeguards.proposal_id, safeguards.version)
    for position, terms in enumerate(measures):
        measure = known.pop(terms.measure_id, None)
        if measure is None:
            key = {"proposal_id": safeguards.proposal_id, "version": safeguards.version, "measure_id": terms.measure_id}
            session.add(SafeguardMeasure(**key, position=position, **_term_values(terms, at)))
        elif report_applies(at, measure.appraisal_updated_at):
            _apply_terms(measure, terms, at)
            measure.position = position
            session.add(measure)
    if remove_others:  # a later proposal for the same version replaces the earlier one's measures
        for measure in known.values():
            session.delete(measure)


def on_safeguards_proposed(session: Session, _envelope: EventEnvelope, data: SafeguardsProposed) -> None:
    if _current(session, data.proposal_id, data.version) is None:
        return
    safeguards = session.get(SafeguardSet, (data.proposal_id, data.version), with_for_update=True)
    if safeguards is None:
        safeguards = SafeguardSet(proposal_id=data.proposal_id, version=data.version, case_id=data.case_id,
                                  proposed_at=data.proposed_at)  # fmt: skip
        session.add(safeguards)
        session.flush()  # the measures refer to it
    elif not report_applies(data.proposed_at, safeguards.proposed_at):
        log.info("ignoring an older safeguard proposal for proposal %s v%s", data.proposal_id, data.version)
        return
    else:
        safeguards.case_id, safeguards.proposed_at = data.case_id, data.proposed_at
    safeguards.updated_at = utcnow()
    session.add(safeguards)
    _upsert(session, safeguards, data.measures, data.proposed_at, remove_others=safeguards.agreed_at is None)


def on_measure_updated(session: Session, _envelope: EventEnvelope, data: SafeguardMeasureUpdated) -> None:
    if _current(session, data.proposal_id, data.version) is None:
        return
    key = (data.proposal_id, data.version, data.measure.measure_id)
    measure = session.get(SafeguardMeasure, key, with_for_update=True)
    if measure is None:
        log.info("ignoring an update of unknown safeguard measure %s of proposal %s v%s",
                 data.measure.measure_id, data.proposal_id, data.version)  # fmt: skip
        return
    if not report_applies(data.updated_at, measure.appraisal_updated_at):
        log.info("ignoring an older update of safeguard measure %s of proposal %s v%s",
                 data.measure.measure_id, data.proposal_id, data.version)  # fmt: skip
        return
    _apply_terms(measure, data.measure, data.updated_at)
    session.add(measure)
    safeguards = session.get(SafeguardSet, (data.proposal_id, data.version))
    if safeguards is not None:
        safeguards.updated_at = utcnow()
        session.add(safeguards)


def on_safeguards_agreed(session: Session, _envelope: EventEnvelope, data: SafeguardsAgreed) -> None:
    if _current(session, data.proposal_id, data.version) is None:
        return
    safeguards = session.get(SafeguardSet, (data.proposal_id, data.version), with_for_update=True)
    if safeguards is None:  # the proposal has not arrived (yet): the agreement carries every measure
        safeguards = SafeguardSet(proposal_id=data.proposal_id, version=data.version, case_id=data.case_id,
                                  proposed_at=data.agreed_at)  # fmt: skip
        session.add(safeguards)
        session.flush()
    if safeguards.agreed_at is None:
        safeguards.agreed_at = data.agreed_at
    safeguards.updated_at = utcnow()
    session.add(safeguards)
    _upsert(session, safeguards, data.measures, data.agreed_at, remove_others=False)


HANDLERS = {
    SafeguardsProposed.event_type: database_only(on_safeguards_proposed),
    SafeguardMeasureUpdated.event_type: database_only(on_measure_updated),
    SafeguardsAgreed.event_type: database_only(on_safeguards_agreed),
}
