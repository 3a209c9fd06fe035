"""Case read model and audit trail: what the activities write and the API reads."""

from __future__ import annotations

import uuid

from pydantic_core import to_jsonable_python
from sqlmodel import Session, col, select

from rsc_appraisal.calls.models import CallReference
from rsc_appraisal.cases.contracts import (
    Assignment,
    CaseChange,
    CatalogueMeasure,
    RouteSnapshot,
    ScreenOutcome,
    appraisal_workflow_id,
)
from rsc_appraisal.cases.models import AppraisalCase, CaseChangeRow, CaseNote
from rsc_appraisal.cases.routing import default_routing
from rsc_appraisal.cases.states import FINAL, Action, CaseStatus
from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.policy.safeguards import default_safeguard_catalogue
from rsc_appraisal.screenings import service as screenings
from rsc_appraisal.screenings.context import EngineContext
from rsc_appraisal.screenings.models import AppraisalProposal, ProposalState, Screening, ScreeningTrigger
from rsc_common.db.types import utcnow
from rsc_common.db.upsert import insert as pg_insert
from rsc_common.events.catalog import model_for
from rsc_common.events.outbox import add_event

SOURCE = "rsc-appraisal"
CASE_NAMESPACE = uuid.UUID("6f0b8c1e-3f4a-5b7c-9d2e-0a1b2c3d4e5f")


def case_id_for(proposal_id: uuid.UUID, version: int) -> uuid.UUID:
    """Deterministic: the workflow, its retries and the read model agree on the id without a lookup."""
    return uuid.uuid5(CASE_NAMESPACE, f"{proposal_id}:v{version}")


def case_ref_for(proposal_id: uuid.UUID, version: int) -> str:
    return f"RSC-{proposal_id.hex[:8].upper()}-V{version}"


def screen_for_case(session: Session, context: EngineContext, proposal_id: uuid.UUID, version: int) -> ScreenOutcome:
    """Screen the version (once: a retried activity reuses the screening) and create the case row."""
    snapshot = screenings.load_snapshot(session, proposal_id, version)
    screening = session.exec(
        select(Screening).where(
            Screening.proposal_id == proposal_id,
            Screening.version == version,
            Screening.trigger == ScreeningTrigger.submission,
        )
    ).first()
    if screening is None:
        screening = screenings.screen_version(
            session, context, snapshot, trigger=ScreeningTrigger.submission, actor="rsc-appraisal-workflow"
        )
    level = RiskLevel(screening.level)
    routing = default_routing()
    spec = routing.route(level)
    route = RouteSnapshot(
        level=level.value,
        reviewers=list(spec.reviewers),
        four_eyes=spec.four_eyes,
        referral_allowed=spec.referral_allowed,
        sla_level=spec.sla_level.value,
        routing_version=routing.version,
    )
    catalogue = [
        CatalogueMeasure(id=m.id, title=m.title, tracked_as=m.tracked_as)
        for m in default_safeguard_catalogue().measures
    ]
    call = session.get(CallReference, snapshot.call_id)
    # linked cases share a partner organisation (or its owner / controller), not the applicant or a
    # researcher's employer: those would link every proposal of one university
    organisation_ids = sorted(
        {oid for ref, oid in screening.result.get("organisations", {}).items() if ref.startswith("partner:")}
    )
    case_id = case_id_for(proposal_id, version)
    session.execute(
        pg_insert(AppraisalCase)
        .values(
            id=case_id,
            case_ref=case_ref_for(proposal_id, version),
            proposal_id=proposal_id,
            version=version,
            workflow_id=appraisal_workflow_id(proposal_id, version),
            call_identifier=snapshot.call_identifier,
            programme=call.programme_name if call else None,
            screening_id=screening.id,
            level=level.value,
            status=CaseStatus.screening.value,
            flag_count=screening.flag_count,
            route=route.__dict__,
            assignees=[],
            state={},
            measures=[],
            organisation_ids=organisation_ids,
            received_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return ScreenOutcome(
        case_id=case_id,
        case_ref=case_ref_for(proposal_id, version),
        screening_id=screening.id,
        level=level.value,
        auto_clear=screening.auto_clear,
        flag_count=screening.flag_count,
        recommended_measures=[s["measure_id"] for s in screening.result.get("safeguards", [])],
        route=route,
        catalogue=catalogue,
        organisation_ids=[uuid.UUID(o) for o in organisation_ids],
        carried_assignees=_previous_assignees(session, proposal_id, version),
        call_identifier=snapshot.call_identifier,
        programme=call.programme_name if call else None,
        call_closes_at=call.closes_at if call else None,
    )


def _previous_assignees(session: Session, proposal_id: uuid.UUID, version: int) -> list[Assignment]:
    previous = session.exec(
        select(AppraisalCase)
        .where(AppraisalCase.proposal_id == proposal_id, AppraisalCase.version < version)
        .order_by(col(AppraisalCase.version).desc())
        .limit(1)
    ).first()
    if previous is None:
        return []
    return [Assignment(subject=a["subject"], role=a["role"], name=a.get("name")) for a in previous.assignees]


def record_change(session: Session, change: CaseChange) -> bool:
    """Audit row, read model and outbox events in the caller's transaction; False if already recorded."""
    claimed = session.execute(
        pg_insert(CaseChangeRow)
        .values(
            key=change.key,
            case_id=change.case_id,
            seq=change.seq,
            action=change.action.value,
            actor=change.actor.subject,
            actor_roles=list(change.actor.roles),
            from_status=change.from_status.value,
            to_status=change.to_status.value,
            summary=change.summary,
            before=change.before,
            after=change.after,
            details=to_jsonable_python(change.details),
            at=change.at,
            recorded_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(CaseChangeRow.key)
    ).first()
    if claimed is None:
        return False
    case = session.get(AppraisalCase, change.case_id, with_for_update=True)
    if case is None:  # the screen activity creates it first; a missing row is a bug, not a retry case
        raise LookupError(f"no case row {change.case_id} for change {change.key}")
    _apply_to_read_model(case, change)
    session.add(case)
    if change.note_body is not None:
        session.add(
            CaseNote(
                id=uuid.UUID(change.details["note_id"]),
                case_id=case.id,
                author=change.actor.subject,
                body=change.note_body,
                created_at=change.at,
            )
        )
    for spec in change.events:
        data = model_for(spec.type, 1).model_validate(spec.data)
        add_event(session, data, subject=str(change.proposal_id), source=SOURCE)
    # re-screening after list updates covers open and funded proposals (screenings.service)
    proposal_state = {CaseStatus.awarded: ProposalState.funded, CaseStatus.not_fundable: ProposalState.closed}
    if change.to_status in proposal_state and change.from_status != change.to_status:
        proposal = session.get(AppraisalProposal, change.proposal_id)
        if proposal is not None and proposal.latest_version == change.version:
            proposal.state = proposal_state[change.to_status]
            session.add(proposal)
    return True


def _apply_to_read_model(case: AppraisalCase, change: CaseChange) -> None:
    """Everything here follows from the change: the case state after it (the machine's snapshot) and when."""
    after = change.after
    case.status = change.to_status.value
    case.assignees = after["assignees"]
    case.state = after
    case.decision = after["decision"]
    case.last_seq = max(case.last_seq, change.seq)
    case.updated_at = utcnow()
    if change.action == Action.auto_clear:
        case.auto_cleared = True
    if change.action == Action.open:
        case.opened_at = change.at
    if case.decision is not None or change.action == Action.auto_clear:
        case.decided_at = case.decided_at or change.at
    if change.to_status == CaseStatus.cleared and change.from_status != CaseStatus.cleared:
        case.cleared_at = change.at
    for event in change.events:
        measure = event.data.get("measure")
        if event.type == "safeguards.proposed":
            case.measures = event.data["measures"]
        elif measure is not None:
            case.measures = [measure if m["measure_id"] == measure["measure_id"] else m for m in case.measures]
    if CaseStatus(change.to_status) in FINAL:
        case.closed_at = change.at
