"""Incident handling: reporting (grantee, officer, tip, list hit, exercise), transitions, measures,
need-to-know evidence, and the deadlines the incident workflow records. Every change writes its
audit row and event in the caller's transaction."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from rsc_common.auth import Principal, Role
from rsc_common.contracts.incidents import MeasureKind, MeasureStatus, Status
from rsc_common.db.types import utcnow
from rsc_common.events import add_event
from rsc_common.events.types import (
    IncidentChanged,
    IncidentDeadline,
    IncidentEvidenceRead,
    IncidentMeasureUpdated,
    IncidentReported,
)
from rsc_common.http.problem import ProblemError
from rsc_monitoring.grants import service as grants
from rsc_monitoring.grants.models import GrantAward
from rsc_monitoring.incidents import machine
from rsc_monitoring.incidents.deadlines import Deadline, MeasureDue, deadlines
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.models import (
    DeadlineRecord,
    Exercise,
    Incident,
    IncidentChange,
    IncidentEvidence,
    IncidentMeasure,
)
from rsc_monitoring.incidents.policy import IncidentPolicy

SOURCE = "rsc-monitoring"
OFFICERS = (Role.case_officer, Role.security_adviser, Role.admin)
READERS = (*OFFICERS, Role.auditor)


def workflow_id(incident_id: uuid.UUID) -> str:
    return f"incident:{incident_id}"


def new_reference(now: datetime) -> str:
    return f"INC-{now.year}-{secrets.token_hex(4).upper()}"


def _ids(incident: Incident) -> dict[str, Any]:
    return {
        "incident_id": incident.id,
        "reference": incident.reference,
        "incident_type": incident.type,
        "severity": incident.severity,
        "grant_reference": incident.grant_reference,
        "organisation_id": incident.organisation_id,
        "exercise": incident.exercise_id is not None,
    }


# ---------------------------------------------------------------------------------------- reporting


def report(
    session: Session,
    policy: IncidentPolicy,
    *,
    channel: Channel,
    incident_type: str,
    severity: str,
    title: str,
    description: str,
    grant: GrantAward | None,
    reporter_subject: str | None,
    reporter_contact: str | None = None,
    occurred_at: datetime | None = None,
    exercise_id: uuid.UUID | None = None,
    attachments: list[str] | None = None,
    now: datetime | None = None,
) -> Incident:
    now = now or utcnow()
    incident = Incident(
        reference=new_reference(now),
        grant_id=grant.id if grant else None,
        grant_reference=grant.reference if grant else None,
        organisation_id=grant.organisation_id if grant else None,
        type=incident_type,
        severity=severity,
        status=Status.reported,
        channel=channel,
        title=title,
        reporter_subject=reporter_subject,
        reporter_contact=reporter_contact,
        occurred_at=occurred_at,
        reported_at=now,
        triage_due_at=policy.add_working_days(now, policy.triage_working_days),
        assignees=[],
        exercise_id=exercise_id,
        policy_version=policy.version,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    session.add(
        IncidentEvidence(
            incident_id=incident.id,
            kind="description",
            body=description,
            attachments=attachments or [],
            added_by=reporter_subject,
            added_at=now,
        )
    )
    _audit(
        session,
        incident,
        "report",
        reporter_subject or f"{channel} channel",
        Status.reported,
        f"reported: {title}",
        now,
    )
    add_event(
        session,
        IncidentReported(**_ids(incident), channel=channel, triage_due_at=incident.triage_due_at, reported_at=now),
        subject=str(incident.id),
        source=SOURCE,
    )
    return incident


def _audit(
    session: Session,
    incident: Incident,
    action: str,
    actor: str,
    from_status: str,
    summary: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    incident.last_seq += 1
    session.add(
        IncidentChange(
            incident_id=incident.id,
            seq=incident.last_seq,
            action=action,
            actor=actor,
            from_status=from_status,
            to_status=incident.status,
            summary=summary,
            details=details or {},
            at=at,
        )
    )
    session.add(incident)


def _changed(
    session: Session, incident: Incident, action: str, actor: str, from_status: str, summary: str, at: datetime
):
    _audit(session, incident, action, actor, from_status, summary, at)
    add_event(
        session,
        IncidentChanged(
            **_ids(incident),
            action=action,
            from_status=from_status,
            to_status=incident.status,
            actor=actor,
            summary=summary,
            at=at,
        ),
        subject=str(incident.id),
        source=SOURCE,
    )


# ------------------------------------------------------------------------------------------- access


def exercise_participants(session: Session, incident: Incident) -> list[str]:
    if incident.exercise_id is None:
        return []
    exercise = session.get(Exercise, incident.exercise_id)
    return list(exercise.participants) if exercise else []


def may_read(session: Session, principal: Principal, incident: Incident) -> bool:
    if incident.exercise_id is not None:  # exercises reach their participants (and admins) only
        return principal.has_any(Role.admin) or principal.subject in exercise_participants(session, incident)
    if principal.has_any(*READERS):
        return True
    # a grantee sees the incidents its own users reported, not officers' or tipsters' investigations
    return (
        incident.channel == Channel.grantee
        and principal.organisation_id is not None
        and principal.organisation_id == incident.organisation_id
    )


def may_read_evidence(principal: Principal, incident: Incident) -> bool:
    """Need-to-know: the people assigned and security advisers; never auditors or other officers."""
    return principal.subject in incident.assignees or principal.has_any(Role.security_adviser)


def audit_evidence_read(session: Session, incident: Incident, principal: Principal, entries: int) -> None:
    """Reading need-to-know evidence is itself audited (an event for the audit log)."""
    add_event(
        session,
        IncidentEvidenceRead(**_ids(incident), read_by=principal.subject, entries=entries, at=utcnow()),
        subject=str(incident.id),
        source=SOURCE,
    )
    session.commit()


def get_incident(session: Session, incident_id: uuid.UUID, principal: Principal) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or not may_read(session, principal, incident):
        raise ProblemError(404, "incident-not-found", f"There is no incident {incident_id} you may see.")
    return incident


def require_officer(principal: Principal) -> None:
    if not principal.has_any(*OFFICERS):
        raise ProblemError(403, "forbidden", "Only case officers, security advisers and admins handle incidents.")


def evidence_for(session: Session, principal: Principal, incident: Incident) -> list[IncidentEvidence]:
    rows = session.exec(
        select(IncidentEvidence)
        .where(IncidentEvidence.incident_id == incident.id)
        .order_by(col(IncidentEvidence.added_at))
    ).all()
    if may_read_evidence(principal, incident):
        return list(rows)
    return [r for r in rows if r.added_by is not None and r.added_by == principal.subject]


# -------------------------------------------------------------------------------------- transitions


def triage(
    session: Session,
    policy: IncidentPolicy,
    incident: Incident,
    actor: Principal,
    *,
    severity: str,
    assignees: list[str],
    note: str,
    now: datetime | None = None,
) -> Incident:
    require_officer(actor)
    machine.check(incident.status, Status.triaged, "triage")
    now = now or utcnow()
    before = incident.status
    incident.status, incident.severity, incident.triaged_at = Status.triaged, severity, now
    incident.assignees = sorted(set(assignees) | {actor.subject})
    incident.investigation_due_at = policy.add_working_days(now, policy.investigation_working_days[severity])
    incident.updated_at = now
    _changed(session, incident, "triage", actor.subject, before, f"triaged as {severity}: {note}", now)
    return incident


def investigate(
    session: Session, incident: Incident, actor: Principal, note: str, now: datetime | None = None
) -> Incident:
    _require_assigned(actor, incident)
    machine.check(incident.status, Status.investigating, "investigate")
    now = now or utcnow()
    before, incident.status, incident.updated_at = incident.status, Status.investigating, now
    _changed(session, incident, "investigate", actor.subject, before, f"investigation started: {note}", now)
    return incident


def dismiss(
    session: Session, incident: Incident, actor: Principal, reason: str, now: datetime | None = None
) -> Incident:
    require_officer(actor)
    machine.check(incident.status, Status.closed, "dismiss")
    now = now or utcnow()
    before = incident.status
    incident.status, incident.outcome, incident.closed_at, incident.updated_at = Status.closed, "dismissed", now, now
    incident.lessons_learned = reason
    _changed(session, incident, "dismiss", actor.subject, before, f"dismissed: {reason}", now)
    return incident


def decide_measures(
    session: Session,
    policy: IncidentPolicy,
    incident: Incident,
    actor: Principal,
    measures: list[dict[str, Any]],
    note: str,
    now: datetime | None = None,
) -> list[IncidentMeasure]:
    _require_assigned(actor, incident)
    machine.check(incident.status, Status.measures, "decide_measures")
    now = now or utcnow()
    created = []
    for m in measures:
        measure = IncidentMeasure(
            incident_id=incident.id,
            kind=MeasureKind(m["kind"]),
            status=MeasureStatus.planned,
            owner=m["owner"],
            note=m["note"],
            due_at=m.get("due_at") or policy.add_working_days(now, policy.measure_default_working_days),
            decided_by=actor.subject,
            decided_at=now,
            updated_at=now,
        )
        session.add(measure)
        created.append(measure)
    session.flush()
    before = incident.status
    incident.status, incident.measures_decided_at, incident.updated_at = Status.measures, now, now
    kinds = ", ".join(m.kind for m in created)
    _changed(session, incident, "decide_measures", actor.subject, before, f"measures decided ({kinds}): {note}", now)
    for measure in created:
        _measure_event(session, incident, measure, actor.subject, now)
    return created


def update_measure(
    session: Session,
    incident: Incident,
    measure_id: uuid.UUID,
    actor: Principal,
    status: MeasureStatus,
    note: str,
    now: datetime | None = None,
) -> IncidentMeasure:
    _require_assigned(actor, incident)
    measure = session.get(IncidentMeasure, measure_id)
    if measure is None or measure.incident_id != incident.id:
        raise ProblemError(404, "measure-not-found", f"Incident {incident.reference} has no measure {measure_id}.")
    machine.check_measure(measure.status, status)
    now = now or utcnow()
    measure.status, measure.updated_at = status, now
    measure.note = f"{measure.note}\n{note}".strip()
    if status == MeasureStatus.done:
        measure.done_at = now
        _apply_measure(session, incident, measure, now)
    session.add(measure)
    _audit(
        session,
        incident,
        "update_measure",
        actor.subject,
        incident.status,
        f"measure {measure.kind} {status}: {note}",
        now,
    )
    _measure_event(session, incident, measure, actor.subject, now)
    return measure


def _apply_measure(session: Session, incident: Incident, measure: IncidentMeasure, now: datetime) -> None:
    """Measures that change the grant itself take effect with the measure (one transaction)."""
    if measure.kind == MeasureKind.termination and incident.grant_id and incident.exercise_id is None:
        grant = session.get(GrantAward, incident.grant_id)
        if grant is not None:
            grants.end_grant(session, grant, "terminated", now)


def close(
    session: Session,
    incident: Incident,
    actor: Principal,
    outcome: str,
    lessons_learned: str,
    now: datetime | None = None,
) -> Incident:
    _require_assigned(actor, incident)
    machine.check(incident.status, Status.closed, "close")
    open_measures = session.exec(
        select(IncidentMeasure).where(
            IncidentMeasure.incident_id == incident.id,
            col(IncidentMeasure.status).in_([MeasureStatus.planned, MeasureStatus.in_progress]),
        )
    ).all()
    if open_measures:
        raise ProblemError(
            409,
            "measures-open",
            f"{len(open_measures)} measure(s) are not done or cancelled yet.",
            measures=[str(m.id) for m in open_measures],
        )
    now = now or utcnow()
    before = incident.status
    incident.status, incident.outcome, incident.lessons_learned = Status.closed, outcome, lessons_learned
    incident.closed_at = incident.updated_at = now
    _changed(session, incident, "close", actor.subject, before, f"closed: {outcome}", now)
    return incident


def add_evidence(
    session: Session, incident: Incident, actor: Principal, kind: str, body: str, attachments: list[str]
) -> IncidentEvidence:
    reporter = actor.subject == incident.reporter_subject and incident.channel == Channel.grantee
    if not (may_read_evidence(actor, incident) or reporter):
        raise ProblemError(
            403, "not-assigned", "Only the people assigned, security advisers or the reporter add evidence."
        )
    if incident.status == Status.closed:
        raise ProblemError(409, "incident-closed", f"Incident {incident.reference} is closed.")
    now = utcnow()
    evidence = IncidentEvidence(
        incident_id=incident.id, kind=kind, body=body, attachments=attachments, added_by=actor.subject, added_at=now
    )
    session.add(evidence)
    _audit(session, incident, f"add_{kind}", actor.subject, incident.status, f"{kind} added", now)
    return evidence


def assign(session: Session, incident: Incident, actor: Principal, assignees: list[str]) -> Incident:
    require_officer(actor)
    if incident.status == Status.closed:
        raise ProblemError(409, "incident-closed", f"Incident {incident.reference} is closed.")
    now = utcnow()
    previous = incident.assignees
    incident.assignees, incident.updated_at = sorted(set(assignees)), now
    _audit(
        session, incident, "assign", actor.subject, incident.status, "assignees changed", now,
        details={"before": previous, "after": incident.assignees},
    )  # fmt: skip
    return incident


def _require_assigned(actor: Principal, incident: Incident) -> None:
    require_officer(actor)
    if actor.subject not in incident.assignees and not actor.has_any(Role.security_adviser):
        raise ProblemError(403, "not-assigned", f"You are not assigned to incident {incident.reference}.")


def _measure_event(session: Session, incident: Incident, m: IncidentMeasure, actor: str, at: datetime) -> None:
    add_event(
        session,
        IncidentMeasureUpdated(
            **_ids(incident), measure_id=m.id, kind=m.kind, status=m.status, due_at=m.due_at, actor=actor, at=at
        ),
        subject=str(incident.id),
        source=SOURCE,
    )


# ------------------------------------------------------------------------ the workflow's activities


def pending_deadlines(session: Session, policy: IncidentPolicy, incident_id: uuid.UUID) -> tuple[list[Deadline], bool]:
    """Deadlines not recorded yet, and whether the incident is closed."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ValueError(f"incident {incident_id} does not exist")
    measures = session.exec(select(IncidentMeasure).where(IncidentMeasure.incident_id == incident_id)).all()
    all_deadlines = deadlines(
        policy,
        status=incident.status,
        triage_due_at=incident.triage_due_at,
        investigation_due_at=incident.investigation_due_at,
        measures=[MeasureDue(str(m.id), m.status, m.due_at) for m in measures],
    )
    recorded = set(session.exec(select(DeadlineRecord.key).where(DeadlineRecord.incident_id == incident_id)).all())
    return [d for d in all_deadlines if f"{workflow_id(incident_id)}:{d.key}" not in recorded], (
        incident.status == Status.closed
    )


def record_deadline(session: Session, policy: IncidentPolicy, incident_id: uuid.UUID, key: str) -> bool:
    """Record a due deadline once; False when it no longer applies (handled meanwhile) or was recorded."""
    pending, _closed = pending_deadlines(session, policy, incident_id)
    [deadline] = [d for d in pending if d.key == key] or [None]
    if deadline is None:
        return False
    incident = session.get(Incident, incident_id)
    now = utcnow()
    session.add(
        DeadlineRecord(
            key=f"{workflow_id(incident_id)}:{key}",
            incident_id=incident_id,
            item=deadline.item,
            kind=deadline.kind,
            due_at=deadline.due_at,
            recorded_at=now,
        )
    )
    add_event(
        session,
        IncidentDeadline(
            **_ids(incident),
            item=deadline.item,
            item_id=deadline.item_id,
            kind=deadline.kind,
            due_at=deadline.due_at,
            to_role=policy.escalate_to_role if deadline.kind == "escalated" else None,
            at=now,
        ),
        subject=str(incident_id),
        source=SOURCE,
    )
    return True
