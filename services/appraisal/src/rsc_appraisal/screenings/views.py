"""Officer API: screenings of a proposal, re-run, preview under another policy version, and the
"what would change" comparison of two policy versions over past proposals."""

from __future__ import annotations

import uuid
from collections import Counter

from fastapi import APIRouter
from sqlmodel import col, select

from rsc_appraisal.engine.contracts import ScreeningResult, level_rank
from rsc_appraisal.permissions import PolicyAnalyst, ScreeningOperator, ScreeningReader
from rsc_appraisal.policy import Policy
from rsc_appraisal.references import service as references
from rsc_appraisal.references.models import DatasetKind
from rsc_appraisal.screenings import service
from rsc_appraisal.screenings.context import CONTEXT
from rsc_appraisal.screenings.models import AppraisalProposal, Screening, ScreeningTrigger
from rsc_appraisal.screenings.schemas import (
    PolicyComparison,
    PolicyComparisonRequest,
    PreviewResult,
    ProposalChange,
    ScreeningDetail,
    ScreeningPublic,
)
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError

router = APIRouter(prefix="/v1", tags=["screenings"])


def _policy(session, version: str) -> Policy:
    return Policy.model_validate(
        references.find_version(session, DatasetKind.policy, references.DEFAULT_KEY, version).document
    )


@router.get("/proposals/{proposal_id}/screenings", response_model=list[ScreeningPublic])
def list_screenings(proposal_id: uuid.UUID, session: SessionDep, _: ScreeningReader) -> list:
    service.load_snapshot(session, proposal_id)  # 404 for an unknown proposal
    return list(
        session.exec(
            select(Screening).where(Screening.proposal_id == proposal_id).order_by(col(Screening.created_at).desc())
        )
    )


@router.get("/screenings/{screening_id}", response_model=ScreeningDetail)
def get_screening(screening_id: uuid.UUID, session: SessionDep, _: ScreeningReader) -> Screening:
    screening = session.get(Screening, screening_id)
    if screening is None:
        raise ProblemError(404, "not-found", f"no screening {screening_id}")
    return screening


@router.post(
    "/proposals/{proposal_id}/screenings",
    status_code=201,
    response_model=ScreeningDetail,
    summary="Re-run the screening of the latest version under the active policy and reference data",
)
def rerun(proposal_id: uuid.UUID, session: SessionDep, principal: ScreeningOperator) -> Screening:
    snapshot = service.load_snapshot(session, proposal_id)
    proposal = session.get(AppraisalProposal, proposal_id)
    screening = service.screen_version(
        session,
        CONTEXT.get(session),
        snapshot,
        trigger=ScreeningTrigger.officer_rerun,
        actor=principal.subject,
        proposal_state=proposal.state if proposal else "open",
    )
    session.commit()
    return screening


@router.post(
    "/proposals/{proposal_id}/screenings/preview",
    response_model=PreviewResult,
    summary="Screen the latest version under a given (e.g. draft) policy version without storing anything",
)
def preview(proposal_id: uuid.UUID, policy_version: str, session: SessionDep, _: PolicyAnalyst) -> PreviewResult:
    snapshot = service.load_snapshot(session, proposal_id)
    result, matcher = service.evaluate(session, CONTEXT.get(session), snapshot, policy=_policy(session, policy_version))
    session.rollback()  # canonical organisation records are created on screening, not on a preview
    return PreviewResult(
        proposal_id=proposal_id,
        version=snapshot.version,
        result={**result.model_dump(mode="json"), "matches": [m.model_dump(mode="json") for m in matcher.hits]},
    )


def _change(base: ScreeningResult, candidate: ScreeningResult, proposal_id: uuid.UUID, version: int):
    base_flags = {f.rule_id + "@" + f.subject for f in base.flags}
    cand_flags = {f.rule_id + "@" + f.subject for f in candidate.flags}
    base_safe = {s.measure_id for s in base.safeguards}
    cand_safe = {s.measure_id for s in candidate.safeguards}
    if (
        base.level == candidate.level
        and base_flags == cand_flags
        and base_safe == cand_safe
        and base.auto_clear == candidate.auto_clear
    ):
        return None
    return ProposalChange(
        proposal_id=proposal_id,
        version=version,
        base_level=base.level,
        candidate_level=candidate.level,
        flags_added=sorted(cand_flags - base_flags),
        flags_removed=sorted(base_flags - cand_flags),
        safeguards_added=sorted(cand_safe - base_safe),
        safeguards_removed=sorted(base_safe - cand_safe),
        auto_clear_changed=base.auto_clear != candidate.auto_clear,
    )


@router.post(
    "/policies/compare",
    response_model=PolicyComparison,
    summary="What would change: screen the latest version of past proposals under two policy versions",
)
def compare(request: PolicyComparisonRequest, session: SessionDep, _: PolicyAnalyst) -> PolicyComparison:
    base_policy, candidate_policy = _policy(session, request.base_version), _policy(session, request.candidate_version)
    context = CONTEXT.get(session)
    proposals = session.exec(
        select(AppraisalProposal).order_by(col(AppraisalProposal.updated_at).desc()).limit(request.limit)
    ).all()
    transitions: Counter[str] = Counter()
    changes, raised, lowered, auto_base, auto_cand = [], 0, 0, 0, 0
    for proposal in proposals:
        snapshot = service.load_snapshot(session, proposal.proposal_id, proposal.latest_version)
        base, _ = service.evaluate(session, context, snapshot, policy=base_policy)
        candidate, _ = service.evaluate(session, context, snapshot, policy=candidate_policy)
        auto_base += base.auto_clear
        auto_cand += candidate.auto_clear
        if base.level != candidate.level:
            transitions[f"{base.level}->{candidate.level}"] += 1
            if level_rank(candidate.level) > level_rank(base.level):
                raised += 1
            else:
                lowered += 1
        change = _change(base, candidate, proposal.proposal_id, snapshot.version)
        if change:
            changes.append(change)
    session.rollback()
    return PolicyComparison(
        base_version=request.base_version,
        candidate_version=request.candidate_version,
        proposals_compared=len(proposals),
        level_changes=dict(sorted(transitions.items())),
        raised=raised,
        lowered=lowered,
        unchanged=len(proposals) - raised - lowered,
        auto_clear_base=auto_base,
        auto_clear_candidate=auto_cand,
        changes=changes,
    )
