"""Resolving organisations to canonical records, recording occurrences, match decisions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from rsc_appraisal.engine.contracts import OrganisationQuery
from rsc_appraisal.matching import OrganisationKeys, organisation_keys
from rsc_appraisal.organisations.models import (
    MatchDecision,
    MatchDecisionKind,
    Organisation,
    OrganisationIdentifier,
    OrganisationNameKey,
    OrganisationOccurrence,
)
from rsc_common.db.types import utcnow as _now
from rsc_common.db.upsert import insert as pg_insert
from rsc_common.http.problem import ProblemError


def resolve(session: Session, query: OrganisationQuery) -> uuid.UUID:
    """The canonical organisation id for a query, created on first sight (race-safe)."""
    return resolve_many(session, [query])[query.ref]


@dataclass(frozen=True)
class _Declared:
    keys: OrganisationKeys
    name: str
    country: str | None


@dataclass
class _Known:
    """What the database knows about the keys of one batch: identifier key -> organisation, name key ->
    organisations (first declared first), and each of those organisations' identifiers by scheme."""

    by_identifier: dict[str, uuid.UUID] = field(default_factory=dict)
    by_name: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    schemes: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)


@dataclass
class _Plan:
    resolved: dict[str, uuid.UUID] = field(default_factory=dict)
    new: dict[uuid.UUID, _Declared] = field(default_factory=dict)
    identifiers: list[tuple[str, uuid.UUID, str]] = field(default_factory=list)  # (key, organisation, scheme)
    names: list[tuple[str, uuid.UUID]] = field(default_factory=list)  # (name key, organisation)

    @property
    def writes(self) -> bool:
        return bool(self.new or self.identifiers or self.names)


def _load(session: Session, declared: Iterable[_Declared]) -> _Known:
    id_keys = sorted({key for d in declared for _, key in d.keys.identifiers})
    name_keys = sorted({d.keys.name for d in declared})
    known = _Known()
    for key, organisation_id in session.exec(
        select(OrganisationNameKey.key, OrganisationNameKey.organisation_id)
        .where(col(OrganisationNameKey.key).in_(name_keys))
        .order_by(
            col(OrganisationNameKey.key), col(OrganisationNameKey.created_at), col(OrganisationNameKey.organisation_id)
        )
    ):
        known.by_name.setdefault(key, []).append(organisation_id)
    # every identifier of every organisation found by an identifier or a name key of the batch
    related = (
        select(OrganisationIdentifier.organisation_id).where(col(OrganisationIdentifier.key).in_(id_keys))
    ).union(select(OrganisationNameKey.organisation_id).where(col(OrganisationNameKey.key).in_(name_keys)))
    for key, organisation_id, scheme in session.exec(
        select(OrganisationIdentifier.key, OrganisationIdentifier.organisation_id, OrganisationIdentifier.scheme).where(
            col(OrganisationIdentifier.organisation_id).in_(related)
        )
    ):
        known.by_identifier[key] = organisation_id
        known.schemes.setdefault(organisation_id, {})[scheme] = key
    return known


def _compatible(schemes: dict[str, str], identifiers: tuple[tuple[str, str], ...]) -> bool:
    """No identifier of a scheme both sides have differs."""
    return all(schemes.get(scheme, key) == key for scheme, key in identifiers)


def _plan(declared: dict[str, _Declared], known: _Known) -> _Plan:
    """Resolve every declaration in order against what is known plus what the earlier ones add: an identifier
    (strongest scheme first), else the first organisation declared under the name key whose identifiers do not
    conflict, else a new organisation; then attach the identifiers and the name key the organisation lacks (an
    identifier known for another organisation, or of a scheme the organisation has with another value, is not)."""
    plan = _Plan()
    for ref, item in declared.items():
        organisation_id = next(
            (known.by_identifier[key] for _, key in item.keys.identifiers if key in known.by_identifier), None
        )
        if organisation_id is None:
            organisation_id = next(
                (
                    candidate
                    for candidate in known.by_name.get(item.keys.name, [])
                    if _compatible(known.schemes.get(candidate, {}), item.keys.identifiers)
                ),
                None,
            )
        if organisation_id is None:
            organisation_id = uuid.uuid4()
            plan.new[organisation_id] = item
        schemes = known.schemes.setdefault(organisation_id, {})
        for scheme, key in item.keys.identifiers:
            if key not in known.by_identifier and scheme not in schemes:
                known.by_identifier[key] = organisation_id
                schemes[scheme] = key
                plan.identifiers.append((key, organisation_id, scheme))
        same_name = known.by_name.setdefault(item.keys.name, [])
        if organisation_id not in same_name:
            same_name.append(organisation_id)
            plan.names.append((item.keys.name, organisation_id))
        plan.resolved[ref] = organisation_id
    return plan


def _lock_key(key: str) -> int:
    digest = hashlib.blake2b(f"rsc-appraisal:organisation:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock(session: Session, declared: Iterable[_Declared]) -> None:
    """Transaction-scoped advisory locks on every key of the batch, in one global order (no deadlock between two
    batches): two transactions resolving the same organisation by different keys serialise, and the second sees
    what the first created once it committed."""
    keys = {f"name:{d.keys.name}" for d in declared} | {key for d in declared for _, key in d.keys.identifiers}
    for lock in sorted({_lock_key(key) for key in keys}):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})


def resolve_many(session: Session, queries: Iterable[OrganisationQuery]) -> dict[str, uuid.UUID]:
    """Canonical ids for every query. An organisation is found by any of its identifiers (strongest first) and
    then by its normalised name key (unless its identifiers conflict with the query's); newly seen identifiers and
    name keys are attached to it. Deterministic: the same database state and queries resolve to the same records.

    Two selects when every organisation and key is known (the usual case: a screening has ten or more
    organisations). Otherwise the batch's keys are locked (transaction-scoped advisory locks, taken in one order),
    read again and the new records and keys inserted; unique constraints (`ON CONFLICT DO NOTHING`) back this."""
    declared: dict[str, _Declared] = {}
    for query in queries:
        country = query.countries[0] if query.countries else None
        declared[query.ref] = _Declared(organisation_keys(query.name, query.identifiers, country), query.name, country)
    if not declared:
        return {}
    plan = _plan(declared, _load(session, declared.values()))
    if not plan.writes:
        return plan.resolved
    _lock(session, declared.values())
    plan = _plan(declared, _load(session, declared.values()))
    if not plan.writes:
        return plan.resolved
    now = _now()
    if plan.new:
        rows = sorted(
            (
                {"id": oid, "key_kind": kind, "key": key, "name": item.name, "country": item.country, "created_at": now}
                for oid, item in plan.new.items()
                for kind, key in [item.keys.primary]
            ),
            key=lambda row: (row["key_kind"], row["key"]),
        )
        inserted = set(
            session.execute(
                pg_insert(Organisation)
                .values(rows)
                .on_conflict_do_nothing(constraint="uq_organisation_key")
                .returning(Organisation.id)
            ).scalars()
        )
        # A record with the same creation key exists only if it was made without these locks (by an older version
        # of this code, before migration 0005 gave every record its keys): then it is the one.
        replaced = {
            oid: session.exec(
                select(Organisation.id).where(
                    Organisation.key_kind == item.keys.primary[0], Organisation.key == item.keys.primary[1]
                )
            ).one()
            for oid, item in plan.new.items()
            if oid not in inserted
        }
        if replaced:
            plan.resolved = {ref: replaced.get(oid, oid) for ref, oid in plan.resolved.items()}
            plan.identifiers = [(key, replaced.get(oid, oid), scheme) for key, oid, scheme in plan.identifiers]
            plan.names = [(key, replaced.get(oid, oid)) for key, oid in plan.names]
    if plan.identifiers:
        session.execute(
            pg_insert(OrganisationIdentifier)
            .values([{"key": k, "organisation_id": o, "scheme": s, "created_at": now} for k, o, s in plan.identifiers])
            .on_conflict_do_nothing()
        )
    if plan.names:  # in declaration order (a look-up by name takes the first organisation declared under it)
        session.execute(
            pg_insert(OrganisationNameKey)
            .values(
                [
                    {"key": k, "organisation_id": o, "created_at": now + timedelta(microseconds=i)}
                    for i, (k, o) in enumerate(plan.names)
                ]
            )
            .on_conflict_do_nothing()
        )
    return plan.resolved


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
