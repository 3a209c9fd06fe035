"""Screening a proposal version: record the snapshot, run the engine, store, publish.

One function (`screen_version`) does it for every trigger (submission, re-screening after a list
update, an officer's re-run) so the results are comparable; the next issue's Temporal workflow
calls the same function from its activities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from rsc_appraisal.engine.contracts import MatchCandidate, MatchResult, OrganisationQuery, ScreeningResult
from rsc_appraisal.engine.inputs import from_snapshot, queries
from rsc_appraisal.engine.references import References
from rsc_appraisal.engine.screen import screen
from rsc_appraisal.organisations import service as organisations
from rsc_appraisal.screenings.context import EngineContext
from rsc_appraisal.screenings.models import (
    AppraisalProposal,
    ProposalSnapshotRow,
    ProposalState,
    Screening,
    ScreeningTrigger,
)
from rsc_common.db.types import utcnow
from rsc_common.db.upsert import insert as pg_insert
from rsc_common.events.outbox import add_event
from rsc_common.events.types import ProposalScreened, ProposalSnapshot, ScreenedFlag, ScreeningHitFound
from rsc_common.http.problem import ProblemError

SOURCE = "rsc-appraisal"


def record_snapshot(session: Session, snapshot: ProposalSnapshot) -> None:
    """Keep appraisal's own copy (idempotent: a redelivered event changes nothing)."""
    session.execute(
        pg_insert(ProposalSnapshotRow)
        .values(
            proposal_id=snapshot.proposal_id,
            version=snapshot.version,
            document=snapshot.model_dump(mode="json"),
            received_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    session.execute(
        pg_insert(AppraisalProposal)
        .values(
            proposal_id=snapshot.proposal_id,
            organisation_id=snapshot.organisation_id,
            call_id=snapshot.call_id,
            call_identifier=snapshot.call_identifier,
            latest_version=snapshot.version,
            state=ProposalState.open,
            updated_at=utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["proposal_id"],
            set_={"latest_version": snapshot.version, "state": ProposalState.open, "updated_at": utcnow()},
            where=col(AppraisalProposal.latest_version) < snapshot.version,
        )
    )


@dataclass
class _RecordingMatcher:
    """Wraps the index: drops candidates an officer marked as false positives for that organisation,
    and keeps what it returned so the screening record lists every hit."""

    context: EngineContext
    organisation_of: dict[str, uuid.UUID]
    queries: list[OrganisationQuery]
    suppressed: set[tuple[uuid.UUID, str, str]]
    hits: list[MatchCandidate] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, query: OrganisationQuery) -> MatchResult:
        result = self.context.index.match(query)
        organisation_id = self.organisation_of.get(query.ref)
        kept = []
        for candidate in result.candidates:
            if (organisation_id, candidate.list_key, candidate.entry_id) in self.suppressed:
                self.dropped.append(
                    {"query_ref": query.ref, "list_key": candidate.list_key, "entry_id": candidate.entry_id}
                )
                continue
            kept.append(candidate)
        self.hits.extend(kept)
        return MatchResult(query=query, candidates=tuple(kept))


def evaluate(
    session: Session, context: EngineContext, snapshot: ProposalSnapshot, *, today: date | None = None, policy=None
) -> tuple[ScreeningResult, _RecordingMatcher]:
    """Run the engine (no writes except canonical organisation records). Under `policy` (a preview or a compare)
    the index matches down to that policy's thresholds (`EngineContext.for_policy`), not the active policy's."""
    if policy is not None:
        context = context.for_policy(policy)
    screening_input = from_snapshot(snapshot)
    organisation_queries = list(queries(screening_input))
    organisation_of = organisations.resolve_many(session, organisation_queries)
    matcher = _RecordingMatcher(
        context,
        organisation_of,
        organisation_queries,
        organisations.suppressed_entries(session, organisation_of.values()),
    )
    references = References(
        classify=context.classifier.classify,
        classifier_version=context.classifier.version,
        match=matcher,
        list_versions=context.list_versions,
        countries=context.countries,
    )
    result = screen(screening_input, context.policy, references, today=today or utcnow().date())
    return result, matcher


def screen_version(
    session: Session,
    context: EngineContext,
    snapshot: ProposalSnapshot,
    *,
    trigger: ScreeningTrigger,
    actor: str,
    proposal_state: ProposalState = ProposalState.open,
) -> Screening:
    previous = latest_screening(session, snapshot.proposal_id, snapshot.version)
    result, matcher = evaluate(session, context, snapshot)
    organisations.record_occurrences(
        session,
        snapshot.proposal_id,
        snapshot.version,
        [(q, matcher.organisation_of[q.ref]) for q in matcher.queries],
    )
    hits = [h.model_dump(mode="json") for h in matcher.hits]
    screening = Screening(
        proposal_id=snapshot.proposal_id,
        version=snapshot.version,
        trigger=trigger,
        policy_version=result.policy_version,
        reference_versions=result.reference_versions,
        input_hash=result.input_hash,
        level=result.level,
        auto_clear=result.auto_clear,
        flag_count=len(result.flags),
        result={
            **result.model_dump(mode="json"),
            "matches": hits,
            "suppressed_matches": matcher.dropped,
            "organisations": {ref: str(oid) for ref, oid in matcher.organisation_of.items()},
        },
        created_by=actor,
    )
    session.add(screening)
    session.flush()
    add_event(session, screened_event(screening, result), subject=str(snapshot.proposal_id), source=SOURCE)
    if previous is not None and trigger in (ScreeningTrigger.rescreen_list_update, ScreeningTrigger.post_award_change):
        for hit in new_hits(previous, matcher.hits):
            add_event(
                session,
                ScreeningHitFound(
                    screening_id=screening.id,
                    proposal_id=snapshot.proposal_id,
                    version=snapshot.version,
                    proposal_state=proposal_state,
                    query_ref=hit.query_ref,
                    organisation_name=hit.query_name,
                    list_key=hit.list_key,
                    list_version=hit.list_version,
                    entry_id=hit.entry_id,
                    entry_caption=hit.entry_caption,
                    score=hit.score,
                ),
                subject=str(snapshot.proposal_id),
                source=SOURCE,
            )
    return screening


def new_hits(previous: Screening, hits: list[MatchCandidate]) -> list[MatchCandidate]:
    seen = {(m["query_ref"], m["list_key"], m["entry_id"]) for m in previous.result.get("matches", [])}
    out, emitted = [], set()
    for hit in hits:
        key = (hit.query_ref, hit.list_key, hit.entry_id)
        if key not in seen and key not in emitted:
            emitted.add(key)
            out.append(hit)
    return out


def screened_event(screening: Screening, result: ScreeningResult) -> ProposalScreened:
    return ProposalScreened(
        screening_id=screening.id,
        proposal_id=screening.proposal_id,
        version=screening.version,
        trigger=screening.trigger,
        level=result.level,
        category_levels={c.category: c.level for c in result.categories},
        auto_clear=result.auto_clear,
        flags=[
            ScreenedFlag(
                rule_id=f.rule_id,
                category=f.category,
                level=f.level,
                subject=f.subject,
                title=f.title,
                hard_gate=f.hard_gate,
                requires_review=f.requires_review,
            )
            for f in result.flags
        ],
        safeguards=[s.measure_id for s in result.safeguards],
        policy_version=result.policy_version,
        reference_versions=result.reference_versions,
        input_hash=result.input_hash,
        warnings=list(result.warnings),
        screened_at=screening.created_at,
    )


def latest_screening(session: Session, proposal_id: uuid.UUID, version: int | None = None) -> Screening | None:
    query = select(Screening).where(Screening.proposal_id == proposal_id)
    if version is not None:
        query = query.where(Screening.version == version)
    return session.exec(query.order_by(col(Screening.created_at).desc(), col(Screening.id)).limit(1)).first()


def load_snapshot(session: Session, proposal_id: uuid.UUID, version: int | None = None) -> ProposalSnapshot:
    if version is None:
        proposal = session.get(AppraisalProposal, proposal_id)
        if proposal is None:
            raise ProblemError(404, "not-found", f"appraisal has no submitted proposal {proposal_id}")
        version = proposal.latest_version
    row = session.get(ProposalSnapshotRow, (proposal_id, version))
    if row is None:
        raise ProblemError(404, "not-found", f"appraisal has no version {version} of proposal {proposal_id}")
    return ProposalSnapshot.model_validate(row.document)


def proposals_to_rescreen(session: Session) -> list[AppraisalProposal]:
    """Open cases and funded grants: what a new list version must be checked against."""
    return list(
        session.exec(
            select(AppraisalProposal)
            .where(col(AppraisalProposal.state).in_([ProposalState.open, ProposalState.funded]))
            .order_by(col(AppraisalProposal.proposal_id))
        )
    )
