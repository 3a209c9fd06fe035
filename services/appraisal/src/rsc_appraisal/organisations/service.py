"""Resolving organisations to canonical records, recording occurrences, match decisions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, select

from rsc_appraisal.engine.contracts import OrganisationQuery
from rsc_appraisal.matching import organisation_key
from rsc_appraisal.organisations.models import (
    MatchDecision,
    MatchDecisionKind,
    Organisation,
    OrganisationOccurrence,
)
from rsc_common.db.types import utcnow as _now
from rsc_common.http.problem import ProblemError


def resolve(session: Session, query: OrganisationQuery) -> uuid.UUID:
    """The canonical organisation id for a query, created on first sight (race-safe upsert)."""
    key_kind, key = organisation_key(query.name, query.identifiers, query.countries[0] if query.countries else None)
    session.execute(
        pg_insert(Organisation)
        .values(
            id=uuid.uuid4(),
            key_kind=key_kind,
            key=key,
            name=query.name,
            country=query.countries[0] if query.countries else None,
            created_at=_now(),
        )
        .on_conflict_do_nothing(constraint="uq_organisation_key")
    )
    return session.exec(select(Organisation.id).where(Organisation.key_kind == key_kind, Organisation.key == key)).one()


def record_occurrences(
    session: Session, proposal_id: uuid.UUID, version: int, resolved: Iterable[tuple[OrganisationQuery, uuid.UUID]]
) -> None:
    for query, organisation_id in resolved:
        session.execute(
            pg_insert(OrganisationOccurrence)
            .values(
                id=uuid.uuid4(),
                organisation_id=organisation_id,
                proposal_id=proposal_id,
                version=version,
                ref=query.ref,
                pointer=query.pointer,
                declared_name=query.name,
                created_at=_now(),
            )
            .on_conflict_do_nothing(constraint="uq_organisation_occurrence")
        )


def suppressed_entries(session: Session, organisation_ids: Iterable[uuid.UUID]) -> set[tuple[uuid.UUID, str, str]]:
    """(organisation, list key, entry id) whose latest decision is `false_positive`."""
    ids = list(set(organisation_ids))
    if not ids:
        return set()
    latest: dict[tuple[uuid.UUID, str, str], MatchDecisionKind] = {}
    rows = session.exec(
        select(MatchDecision).where(col(MatchDecision.organisation_id).in_(ids)).order_by(col(MatchDecision.decided_at))
    )
    for decision in rows:
        latest[(decision.organisation_id, decision.list_key, decision.entry_id)] = decision.decision
    return {key for key, kind in latest.items() if kind == MatchDecisionKind.false_positive}


def get_organisation(session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise ProblemError(404, "not-found", f"no organisation {organisation_id}")
    return organisation


def add_decision(
    session: Session,
    organisation_id: uuid.UUID,
    list_key: str,
    entry_id: str,
    decision: MatchDecisionKind,
    reason: str,
    actor: str,
) -> MatchDecision:
    get_organisation(session, organisation_id)
    row = MatchDecision(
        organisation_id=organisation_id,
        list_key=list_key,
        entry_id=entry_id,
        decision=decision,
        reason=reason,
        decided_by=actor,
    )
    session.add(row)
    session.flush()
    return row
