"""Folding events into the reporting read model (group `rsc-monitoring`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from rsc_common.db.upsert import upsert_statement
from rsc_common.events import EventEnvelope, database_only
from rsc_common.events.types import (
    AppraisalCleared,
    AppraisalDecided,
    CallOpened,
    GrantAwarded,
    ProposalResubmitted,
    ProposalScreened,
    ProposalSubmitted,
    ProposalWithdrawn,
    SafeguardsAgreed,
)
from rsc_monitoring.facts import rollup
from rsc_monitoring.facts.models import CallFact, ProposalFact

FINAL_VERDICTS = ("cleared", "cleared_with_safeguards", "not_fundable")


# Statements built once (building one costs about as much as running it; their compiled forms are cached).
_FACT = ProposalFact.__table__
_KEY = (_FACT.c.proposal_id == bindparam("key_proposal")) & (_FACT.c.version == bindparam("key_version"))
_LOCK_FACT = select(_FACT).where(_KEY).with_for_update()
_SET_DAYS = update(_FACT).where(_KEY).values(appraisal_days=bindparam("days"))


def upsert_fact(session: Session, proposal_id: uuid.UUID, version: int, **values: Any) -> None:
    """Insert or update the fact's given columns, and move the daily report counts with it."""
    key = {"key_proposal": proposal_id, "key_version": version}
    found = session.execute(_LOCK_FACT, key).mappings().first()
    before = dict(found) if found is not None else None
    row = {"proposal_id": proposal_id, "version": version, **values}
    statement = upsert_statement(_FACT, ("proposal_id", "version"), tuple(sorted(values)), returning=True)
    after = dict(session.execute(statement, row).mappings().one())
    if after["verdict_at"] and after["submitted_at"] and after["verdict"] in FINAL_VERDICTS:
        days = (after["verdict_at"] - after["submitted_at"]).total_seconds() / 86400
        if after["appraisal_days"] != days:
            session.execute(_SET_DAYS, key | {"days": days})
    rollup.apply(session, before, after)


@database_only
def on_call_opened(session: Session, _e: EventEnvelope, data: CallOpened) -> None:
    values = {"identifier": data.identifier, "programme": data.programme_name, "closes_at": data.closes_at}
    session.execute(
        upsert_statement(CallFact.__table__, ("call_id",), tuple(values)), {"call_id": data.call_id, **values}
    )


@database_only
def on_submitted(session: Session, _e: EventEnvelope, data: ProposalSubmitted | ProposalResubmitted) -> None:
    if data.version > 1:
        session.execute(
            update(ProposalFact.__table__)
            .where(
                ProposalFact.__table__.c.proposal_id == data.proposal_id,
                ProposalFact.__table__.c.version < data.version,
            )
            .values(superseded=True)
        )
    details = data.content.details
    countries: set[str] = set()
    for partner in data.content.partners:
        countries.add(partner.country)
        countries.update(partner.ownership_control_countries)
    upsert_fact(
        session,
        data.proposal_id,
        data.version,
        organisation_id=data.organisation_id,
        call_identifier=data.call_identifier,
        submitted_at=data.submitted_at,
        duration_months=details.duration_months,
        areas=sorted(str(a) for a in details.critical_technology_areas or []),
        partner_countries=sorted(countries),
    )


@database_only
def on_screened(session: Session, _e: EventEnvelope, data: ProposalScreened) -> None:
    if data.trigger != "submission":  # re-screenings after award are monitoring incidents, not statistics
        return
    upsert_fact(
        session,
        data.proposal_id,
        data.version,
        level=data.level,
        category_levels=data.category_levels,
        flags=[{"rule_id": f.rule_id, "category": f.category, "title": f.title} for f in data.flags],
        recommended_safeguards=list(data.safeguards),
        screened_at=data.screened_at,
    )


@database_only
def on_cleared(session: Session, _e: EventEnvelope, data: AppraisalCleared) -> None:
    upsert_fact(
        session,
        data.proposal_id,
        data.version,
        verdict="cleared_with_safeguards" if data.safeguards else "cleared",
        verdict_at=data.cleared_at,
        auto_cleared=data.auto_cleared,
    )


@database_only
def on_decided(session: Session, _e: EventEnvelope, data: AppraisalDecided) -> None:
    if data.outcome == "not_fundable":  # the clearances arrive as appraisal.cleared
        upsert_fact(session, data.proposal_id, data.version, verdict="not_fundable", verdict_at=data.decided_at)


@database_only
def on_agreed(session: Session, _e: EventEnvelope, data: SafeguardsAgreed) -> None:
    upsert_fact(session, data.proposal_id, data.version, agreed_safeguards=sorted(m.measure_id for m in data.measures))


@database_only
def on_withdrawn(session: Session, _e: EventEnvelope, data: ProposalWithdrawn) -> None:
    if data.last_version >= 1:
        upsert_fact(session, data.proposal_id, data.last_version, verdict="withdrawn", verdict_at=data.withdrawn_at)


@database_only
def on_awarded(session: Session, _e: EventEnvelope, data: GrantAwarded) -> None:
    upsert_fact(session, data.proposal_id, data.version, signed_at=data.signed_at)


def fact_handlers() -> dict[str, Callable]:
    return {
        "call.opened": on_call_opened,
        "proposal.submitted": on_submitted,
        "proposal.resubmitted": on_submitted,
        "proposal.withdrawn": on_withdrawn,
        "appraisal.screened": on_screened,
        "appraisal.cleared": on_cleared,
        "appraisal.decided": on_decided,
        "safeguards.agreed": on_agreed,
        "grant.awarded": on_awarded,
    }
