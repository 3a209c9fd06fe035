"""Resolving organisations to canonical records, recording occurrences, match decisions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import tuple_
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
    return resolve_many(session, [query])[query.ref]


def resolve_many(session: Session, queries: Iterable[OrganisationQuery]) -> dict[str, uuid.UUID]:
    """Canonical ids for every query: one multi-row insert of the unknown keys (`ON CONFLICT DO NOTHING`,
    race-safe) and one select, whatever the number of organisations (a screening has ten or more)."""
    keyed = {}
    for query in queries:
        country = query.countries[0] if query.countries else None
        keyed[query.ref] = (organisation_key(query.name, query.identifiers, country), query.name, country)
    if not keyed:
        return {}
    rows, seen = [], set()
    for (key_kind, key), name, country in keyed.values():
        if (key_kind, key) not in seen:
            seen.add((key_kind, key))
            rows.append(
                {"id": uuid.uuid4(), "key_kind": key_kind, "key": key, "name": name, "country": country,
                 "created_at": _now()}
            )  # fmt: skip
    # sorted so that concurrent screenings sharing new organisations insert them in the same order (no deadlock)
    rows.sort(key=lambda r: (r["key_kind"], r["key"]))
    session.execute(pg_insert(Organisation).values(rows).on_conflict_do_nothing(constraint="uq_organisation_key"))
    found = session.exec(
        select(Organisation.key_kind, Organisation.key, Organisation.id).where(
            tuple_(Organisation.key_kind, Organisation.key).in_(sorted(seen))
        )
    ).all()
    ids = {(kind, key): oid for kind, key, oid in found}
    return {ref: ids[kind_key] for ref, (kind_key, _name, _country) in keyed.items()}


def record_occurrences(
    session: Session, proposal_id: uuid.UUID, version: int, resolved: Iterable[tuple[OrganisationQuery, uuid.UUID]]
) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "organisation_id": organisation_id,
            "proposal_id": proposal_id,
            "version": version,
            "ref": query.ref,
            "pointer": query.pointer,
            "declared_name": query.name,
            "created_at": _now(),
        }
        for query, organisation_id in resolved
    ]
    if rows:  # one statement for all of them
        session.execute(
            pg_insert(OrganisationOccurrence)
            .values(rows)
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
