"""Resilience exercises: inject simulated incidents into chosen grants, let the normal workflows run,
and report how fast they were handled."""

from __future__ import annotations

import statistics
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, func, select

from rsc_common.auth import Principal
from rsc_common.db.types import utcnow
from rsc_common.events import add_event
from rsc_common.events.types import ExerciseStarted
from rsc_common.http.problem import ProblemError
from rsc_monitoring.grants.models import GrantAward
from rsc_monitoring.incidents import service as incidents
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.models import DeadlineRecord, Exercise, Incident
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.incidents.types import IncidentType

TEMPLATES = Path(__file__).parent / "data" / "templates.yaml"


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    incident_type: IncidentType
    severity: str
    title: str
    description: str


@cache
def templates() -> dict[str, Template]:
    data = yaml.safe_load(TEMPLATES.read_text())
    return {t["id"]: Template.model_validate(t) for t in data["templates"]}


def start(
    session: Session, actor: Principal, *, name: str, participants: list[str], injections: list[tuple[str, str]]
) -> tuple[Exercise, list[Incident]]:
    """Create the exercise and its incidents; `injections` are (template id, grant reference)."""
    known = templates()
    now = utcnow()
    exercise = Exercise(name=name, participants=sorted(set(participants)), created_by=actor.subject, created_at=now)
    session.add(exercise)
    session.flush()
    created = []
    for index, (template_id, reference) in enumerate(injections):
        template = known.get(template_id)
        if template is None:
            raise ProblemError(
                422, "unknown-template", f"There is no template {template_id}.", pointer=f"/injections/{index}"
            )
        grant = session.exec(select(GrantAward).where(GrantAward.reference == reference)).first()
        if grant is None:
            raise ProblemError(422, "unknown-grant", f"There is no grant {reference}.", pointer=f"/injections/{index}")
        created.append(
            incidents.report(
                session,
                default_policy(),
                channel=Channel.exercise,
                incident_type=template.incident_type,
                severity=template.severity,
                title=template.title,
                description=template.description,
                grant=grant,
                reporter_subject=actor.subject,
                exercise_id=exercise.id,
                now=now,
            )
        )
    add_event(
        session,
        ExerciseStarted(
            exercise_id=exercise.id,
            name=name,
            participants=exercise.participants,
            incident_ids=[i.id for i in created],
            started_by=actor.subject,
            at=now,
        ),
        subject=str(exercise.id),
        source=incidents.SOURCE,
    )
    return exercise, created


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 3600, 2) if start and end else None


def report(session: Session, exercise: Exercise) -> dict:
    rows = session.exec(
        select(Incident).where(Incident.exercise_id == exercise.id).order_by(col(Incident.reported_at))
    ).all()
    missed = dict(
        session.exec(
            select(DeadlineRecord.incident_id, func.count())
            .where(col(DeadlineRecord.incident_id).in_([i.id for i in rows]), DeadlineRecord.kind == "overdue")
            .group_by(DeadlineRecord.incident_id)
        ).all()
    )
    escalated = dict(
        session.exec(
            select(DeadlineRecord.incident_id, func.count())
            .where(col(DeadlineRecord.incident_id).in_([i.id for i in rows]), DeadlineRecord.kind == "escalated")
            .group_by(DeadlineRecord.incident_id)
        ).all()
    )
    items = [
        {
            "incident_id": str(i.id),
            "reference": i.reference,
            "type": i.type,
            "grant_reference": i.grant_reference,
            "status": i.status,
            "reported_at": i.reported_at.isoformat(),
            "hours_to_triage": _hours(i.reported_at, i.triaged_at),
            "hours_to_measures": _hours(i.reported_at, i.measures_decided_at),
            "hours_to_closure": _hours(i.reported_at, i.closed_at),
            "missed_deadlines": missed.get(i.id, 0),
            "escalations": escalated.get(i.id, 0),
        }
        for i in rows
    ]

    def median(key: str) -> float | None:
        values = [x[key] for x in items if x[key] is not None]
        return round(statistics.median(values), 2) if values else None

    return {
        "exercise_id": str(exercise.id),
        "name": exercise.name,
        "participants": exercise.participants,
        "started_at": exercise.created_at.isoformat(),
        "incidents": len(items),
        "triaged": sum(1 for x in items if x["hours_to_triage"] is not None),
        "closed": sum(1 for x in items if x["status"] == "closed"),
        "median_hours_to_triage": median("hours_to_triage"),
        "median_hours_to_measures": median("hours_to_measures"),
        "missed_deadlines": sum(x["missed_deadlines"] for x in items),
        "escalations": sum(x["escalations"] for x in items),
        "items": items,
    }


def get_exercise(session: Session, exercise_id: uuid.UUID, principal: Principal) -> Exercise:
    exercise = session.get(Exercise, exercise_id)
    if exercise is None or not (principal.has_any("admin") or principal.subject in exercise.participants):
        raise ProblemError(404, "exercise-not-found", f"There is no exercise {exercise_id} you take part in.")
    return exercise
