"""Funded projects: creating a grant from its award, obligations, attestations, and the deadlines the
grant workflow records. Every change writes its event to the outbox in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from rsc_common.auth import Principal, Role
from rsc_common.db.types import utcnow
from rsc_common.events import add_event
from rsc_common.events.types import (
    GrantAttestationSubmitted,
    GrantAwarded,
    GrantDeadline,
    GrantEnded,
    GrantObligationUpdated,
    GrantReappraisalRequested,
)
from rsc_common.http.problem import ProblemError
from rsc_monitoring.facts.handlers import upsert_fact
from rsc_monitoring.facts.models import ProposalFact
from rsc_monitoring.grants.contracts import (
    GrantWorkflowInput,
    MilestoneOutcome,
    RecordMilestone,
    grant_workflow_id,
)
from rsc_monitoring.grants.models import Attestation, GrantAward, MilestoneRecord, Obligation
from rsc_monitoring.grants.plan import MonitoringPlan
from rsc_monitoring.grants.schedule import GrantTerms, add_months, attestation_dates

SOURCE = "rsc-monitoring"
STAFF = (Role.case_officer, Role.security_adviser, Role.admin, Role.auditor)
OFFICERS = (Role.case_officer, Role.security_adviser, Role.admin)
DONE_OBLIGATION = ("fulfilled", "waived")

# Obligation status transitions keyed by (from, to); anything else is refused with 409.
OBLIGATION_TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "evidence_submitted"): "grantee submits evidence",
    ("overdue", "evidence_submitted"): "grantee submits evidence late",
    ("evidence_submitted", "evidence_submitted"): "grantee adds evidence",
    ("evidence_submitted", "fulfilled"): "officer accepts the evidence",
    ("evidence_submitted", "open"): "officer sends the evidence back (before the due date)",
    ("evidence_submitted", "overdue"): "officer sends the evidence back (after the due date)",
    ("open", "waived"): "officer waives the obligation",
    ("overdue", "waived"): "officer waives the obligation",
    ("evidence_submitted", "waived"): "officer waives the obligation",
    ("open", "overdue"): "the due date passed (grant workflow)",
}


def _event_ids(grant: GrantAward) -> dict:
    return {
        "grant_reference": grant.reference,
        "proposal_id": grant.proposal_id,
        "organisation_id": grant.organisation_id,
    }


# --------------------------------------------------------------------------------------- awarding


def create_from_award(
    session: Session, data: GrantAwarded, plan: MonitoringPlan
) -> tuple[GrantAward, GrantWorkflowInput] | None:
    """The grant, its obligations and attestation schedule; None when it exists already (redelivery)."""
    reference = data.grant_reference
    if session.exec(select(GrantAward).where(GrantAward.reference == reference)).first() is not None:
        return None
    fact = session.get(ProposalFact, (data.proposal_id, data.version))
    duration = (fact.duration_months if fact else None) or plan.default_duration_months
    interval = plan.interval_for(data.level)
    now = utcnow()
    grant = GrantAward(
        id=uuid.uuid4(),
        reference=reference,
        proposal_id=data.proposal_id,
        version=data.version,
        case_id=data.case_id,
        organisation_id=fact.organisation_id if fact else None,
        level=data.level,
        auto_cleared=data.auto_cleared,
        signed_at=data.signed_at,
        ends_at=add_months(data.signed_at, duration),
        status="active",
        plan_version=plan.version,
        attestation_interval_months=interval,
        workflow_id=grant_workflow_id(reference),
        awarded_by=data.awarded_by,
        created_at=now,
        updated_at=now,
    )
    session.add(grant)
    session.flush()
    for measure in data.obligations:
        session.add(
            Obligation(
                grant_id=grant.id,
                measure_id=measure.measure_id,
                title=measure.title,
                owner=measure.owner,
                terms=measure.terms,
                evidence_required=measure.evidence_required,
                due_at=measure.due_at,
                status="open",
                evidence=[],
                updated_at=now,
            )
        )
    dates = attestation_dates(grant.signed_at, grant.ends_at, interval)
    for period, due in enumerate(dates, start=1):
        session.add(Attestation(grant_id=grant.id, period=period, due_at=due, status="scheduled"))
    upsert_fact(session, data.proposal_id, data.version, signed_at=data.signed_at)
    terms = GrantTerms(
        grant_reference=reference,
        signed_at=grant.signed_at,
        ends_at=grant.ends_at,
        obligations={m.measure_id: m.due_at for m in data.obligations},
        attestation_due=dates,
        reminder_days_before=list(plan.reminder_days_before),
        escalate_after_days=plan.escalate_after_days,
    )
    return grant, GrantWorkflowInput(grant_id=grant.id, terms=terms, escalate_to_role=plan.escalate_to_role, fired=[])


def attach_organisation(session: Session, proposal_id: uuid.UUID, organisation_id: uuid.UUID) -> None:
    """A grant created before its proposal's facts arrived learns its organisation now."""
    for grant in session.exec(
        select(GrantAward).where(GrantAward.proposal_id == proposal_id, col(GrantAward.organisation_id).is_(None))
    ):
        grant.organisation_id = organisation_id
        session.add(grant)


# ------------------------------------------------------------------------------------------ access


def get_grant(session: Session, reference: str, principal: Principal) -> GrantAward:
    grant = session.exec(select(GrantAward).where(GrantAward.reference == reference)).first()
    if grant is None or not may_read(principal, grant):
        # the same answer for "not yours" and "does not exist": no probing of other grants
        raise ProblemError(404, "grant-not-found", f"There is no grant {reference} you may see.")
    return grant


def may_read(principal: Principal, grant: GrantAward) -> bool:
    if principal.has_any(*STAFF):
        return True
    return is_grantee(principal, grant)


def is_grantee(principal: Principal, grant: GrantAward) -> bool:
    return (
        principal.has_any(Role.applicant)
        and principal.organisation_id is not None
        and principal.organisation_id == grant.organisation_id
    )


def require_grantee(principal: Principal, grant: GrantAward) -> None:
    if not is_grantee(principal, grant):
        raise ProblemError(403, "not-the-grantee", "Only the grantee organisation's users can do this.")


def require_active(grant: GrantAward) -> None:
    if grant.status != "active":
        raise ProblemError(409, "grant-not-active", f"Grant {grant.reference} is {grant.status}.")


# ------------------------------------------------------------------------------------- obligations


def _obligation(session: Session, grant: GrantAward, measure_id: str) -> Obligation:
    obligation = session.exec(
        select(Obligation).where(Obligation.grant_id == grant.id, Obligation.measure_id == measure_id)
    ).first()
    if obligation is None:
        raise ProblemError(404, "obligation-not-found", f"Grant {grant.reference} has no obligation {measure_id}.")
    return obligation


def _move(obligation: Obligation, to: str) -> None:
    if (obligation.status, to) not in OBLIGATION_TRANSITIONS:
        raise ProblemError(
            409,
            "illegal-transition",
            f"An obligation cannot go from {obligation.status} to {to}.",
            from_status=obligation.status,
            to_status=to,
        )
    obligation.status = to


def submit_evidence(
    session: Session, grant: GrantAward, measure_id: str, principal: Principal, text: str, attachments: list[str]
) -> Obligation:
    require_grantee(principal, grant)
    require_active(grant)
    obligation = _obligation(session, grant, measure_id)
    now = utcnow()
    _move(obligation, "evidence_submitted")
    obligation.evidence = [
        *obligation.evidence,
        {"text": text, "attachments": attachments, "by": principal.subject, "at": now.isoformat()},
    ]
    obligation.updated_at = now
    session.add(obligation)
    _obligation_event(session, grant, obligation, principal.subject, now)
    return obligation


def decide_obligation(
    session: Session, grant: GrantAward, measure_id: str, principal: Principal, decision: str, note: str
) -> Obligation:
    require_active(grant)
    obligation = _obligation(session, grant, measure_id)
    now = utcnow()
    if decision == "accept":
        target = "fulfilled"
    elif decision == "waive":
        target = "waived"
    else:  # send back
        target = "overdue" if now >= obligation.due_at else "open"
    _move(obligation, target)
    obligation.decided_by, obligation.decision_note, obligation.updated_at = principal.subject, note, now
    if target in DONE_OBLIGATION:
        obligation.fulfilled_at = now
    session.add(obligation)
    _obligation_event(session, grant, obligation, principal.subject, now)
    return obligation


def _obligation_event(session: Session, grant: GrantAward, obligation: Obligation, actor: str, at: datetime) -> None:
    add_event(
        session,
        GrantObligationUpdated(
            **_event_ids(grant), measure_id=obligation.measure_id, status=obligation.status, actor=actor, at=at
        ),
        subject=grant.reference,
        source=SOURCE,
    )


# ------------------------------------------------------------------------------------ attestations


def submit_attestation(
    session: Session,
    grant: GrantAward,
    principal: Principal,
    plan: MonitoringPlan,
    *,
    period: int,
    changes: list[str],
    statement: str | None,
    evidence: list[str],
) -> Attestation:
    require_grantee(principal, grant)
    require_active(grant)
    attestation = session.exec(
        select(Attestation).where(Attestation.grant_id == grant.id, Attestation.period == period)
    ).first()
    if attestation is None:
        raise ProblemError(404, "attestation-not-found", f"Grant {grant.reference} has no attestation period {period}.")
    if attestation.status == "submitted":
        raise ProblemError(409, "attestation-already-submitted", f"Period {period} was attested already.")
    now = utcnow()
    attestation.status = "submitted"
    attestation.changes = sorted(set(changes))
    attestation.statement, attestation.evidence = statement, evidence
    attestation.submitted_by, attestation.submitted_at = principal.subject, now
    triggering = sorted(set(changes) & {c.value for c in plan.reappraisal_on_changes})
    attestation.reappraisal_requested = bool(triggering)
    session.add(attestation)
    add_event(
        session,
        GrantAttestationSubmitted(
            **_event_ids(grant), period=period, changes=attestation.changes, submitted_by=principal.subject, at=now
        ),
        subject=grant.reference,
        source=SOURCE,
    )
    if triggering:
        add_event(
            session,
            GrantReappraisalRequested(
                grant_reference=grant.reference,
                proposal_id=grant.proposal_id,
                version=grant.version,
                changes=triggering,
                reason=f"attestation {period} declares a change: " + ", ".join(triggering),
                requested_by=principal.subject,
                at=now,
            ),
            subject=str(grant.proposal_id),
            source=SOURCE,
        )
    return attestation


# -------------------------------------------------------------------------- the workflow's records


def record_milestone(session: Session, m: RecordMilestone) -> MilestoneOutcome:
    """Record a due milestone once (keyed); skip it when its item was done meanwhile."""
    key = f"{m.workflow_id}:{m.key}"
    if session.get(MilestoneRecord, key) is not None:
        return MilestoneOutcome(recorded=False, skipped=False)
    grant = session.get(GrantAward, m.grant_id)
    if grant is None:
        raise ValueError(f"grant {m.grant_id} does not exist")
    now = utcnow()
    skipped, title = _apply_milestone(session, grant, m, now)
    session.add(
        MilestoneRecord(
            key=key,
            grant_id=grant.id,
            kind=m.kind,
            item=m.item,
            item_id=m.item_id,
            due_at=m.due_at,
            recorded_at=now,
            skipped=skipped,
        )
    )
    if not skipped and m.kind != "ended":
        add_event(
            session,
            GrantDeadline(
                **_event_ids(grant),
                item=m.item,
                item_id=m.item_id,
                title=title,
                kind=m.kind,
                due_at=m.due_at,
                to_role=m.escalate_to_role if m.kind == "escalated" else None,
                at=now,
            ),
            subject=grant.reference,
            source=SOURCE,
        )
    return MilestoneOutcome(recorded=True, skipped=skipped)


def _apply_milestone(session: Session, grant: GrantAward, m: RecordMilestone, now: datetime) -> tuple[bool, str]:
    if m.kind == "ended":
        if grant.status == "active":
            end_grant(session, grant, "ended", now)
        return False, "grant ended"
    if m.item == "obligation":
        obligation = _obligation(session, grant, m.item_id)
        if obligation.status in DONE_OBLIGATION or grant.status != "active":
            return True, obligation.title
        if m.kind == "overdue" and obligation.status == "open":
            _move(obligation, "overdue")
            obligation.updated_at = now
            _obligation_event(session, grant, obligation, SOURCE, now)
        if m.kind == "escalated":  # also with evidence waiting: then nobody reviewed it in time
            obligation.escalated_at = now
        session.add(obligation)
        return False, obligation.title
    attestation = session.exec(
        select(Attestation).where(Attestation.grant_id == grant.id, Attestation.period == int(m.item_id))
    ).one()
    title = f"research-security attestation {attestation.period}"
    if attestation.status == "submitted" or grant.status != "active":
        return True, title
    if m.kind == "overdue":
        attestation.status = "overdue"
    if m.kind == "escalated":
        attestation.escalated_at = now
    session.add(attestation)
    return False, title


def end_grant(session: Session, grant: GrantAward, reason: str, at: datetime) -> None:
    if grant.status != "active":
        return
    grant.status = "ended" if reason == "ended" else "terminated"
    grant.updated_at = at
    session.add(grant)
    open_ones = session.exec(
        select(Obligation.measure_id).where(
            Obligation.grant_id == grant.id, col(Obligation.status).not_in(DONE_OBLIGATION)
        )
    ).all()
    add_event(
        session,
        GrantEnded(**_event_ids(grant), reason=grant.status, open_obligations=sorted(open_ones), at=at),
        subject=grant.reference,
        source=SOURCE,
    )


def current_terms(session: Session, grant: GrantAward, plan: MonitoringPlan) -> GrantTerms:
    """The schedule's input rebuilt from the database (e.g. for a restarted workflow)."""
    obligations = session.exec(select(Obligation).where(Obligation.grant_id == grant.id)).all()
    attestations = session.exec(select(Attestation).where(Attestation.grant_id == grant.id)).all()
    return GrantTerms(
        grant_reference=grant.reference,
        signed_at=grant.signed_at,
        ends_at=grant.ends_at,
        obligations={o.measure_id: o.due_at for o in obligations},
        attestation_due=[a.due_at for a in sorted(attestations, key=lambda a: a.period)],
        reminder_days_before=list(plan.reminder_days_before),
        escalate_after_days=plan.escalate_after_days,
        done_obligations=[o.measure_id for o in obligations if o.status in DONE_OBLIGATION],
        done_attestations=[a.period for a in attestations if a.status == "submitted"],
    )
