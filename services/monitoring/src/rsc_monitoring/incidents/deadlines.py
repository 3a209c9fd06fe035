"""The deadlines of one incident, as a pure function of its state (triage, investigation, measures):
each with a reminder before, overdue at, and escalation after the due instant. Keys include the due
instant, so a moved deadline gets fresh milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rsc_common.contracts.incidents import MeasureStatus, Status
from rsc_monitoring.incidents.policy import IncidentPolicy


@dataclass
class Deadline:
    key: str
    at: datetime
    kind: str  # reminder | overdue | escalated
    item: str  # triage | investigation | measure
    item_id: str
    due_at: datetime


@dataclass
class MeasureDue:
    id: str
    status: str
    due_at: datetime


def deadlines(
    policy: IncidentPolicy,
    *,
    status: str,
    triage_due_at: datetime,
    investigation_due_at: datetime | None,
    measures: list[MeasureDue],
) -> list[Deadline]:
    items: list[tuple[str, str, datetime]] = []
    if status == Status.reported:
        items.append(("triage", "triage", triage_due_at))
    if status in (Status.triaged, Status.investigating) and investigation_due_at is not None:
        items.append(("investigation", "investigation", investigation_due_at))
    if status == Status.measures:
        items += [
            ("measure", m.id, m.due_at)
            for m in measures
            if m.status in (MeasureStatus.planned, MeasureStatus.in_progress)
        ]
    out: list[Deadline] = []
    for item, item_id, due in items:
        stamp = due.isoformat()
        if policy.reminder_working_days_before:
            at = policy.add_working_days(due, -policy.reminder_working_days_before)
            out.append(Deadline(f"{item}:{item_id}:reminder:{stamp}", at, "reminder", item, item_id, due))
        out.append(Deadline(f"{item}:{item_id}:overdue:{stamp}", due, "overdue", item, item_id, due))
        escalate = policy.add_working_days(due, policy.escalate_after_working_days)
        out.append(Deadline(f"{item}:{item_id}:escalated:{stamp}", escalate, "escalated", item, item_id, due))
    return sorted(out, key=lambda d: (d.at, d.key))
