"""The deadlines of one grant, as a pure function of its terms and what has been done (no I/O, no
clock): the grant workflow fires what is due and sleeps until the next one.

Every milestone has a stable key, so a milestone is recorded once however often the workflow wakes
up, replays or continues as new.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def add_months(at: datetime, months: int) -> datetime:
    """Same day of month `months` later (clamped to the month's last day), same time of day."""
    month_index = at.month - 1 + months
    year, month = at.year + month_index // 12, month_index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Milestone:
    key: str
    at: datetime
    kind: str  # reminder | overdue | escalated | ended
    item: str  # obligation | attestation | grant
    item_id: str  # measure id, attestation period number, or the grant reference
    due_at: datetime


@dataclass
class GrantTerms:
    """What the schedule needs; the workflow's input and state (plain data for Temporal)."""

    grant_reference: str
    signed_at: datetime
    ends_at: datetime
    obligations: dict[str, datetime]  # measure id -> due date
    attestation_due: list[datetime]  # period n (from 1) is due at attestation_due[n-1]
    reminder_days_before: list[int]
    escalate_after_days: int
    # lists, not sets: the terms travel through Temporal's JSON converter
    done_obligations: list[str] = field(default_factory=list)
    done_attestations: list[int] = field(default_factory=list)


def attestation_dates(signed_at: datetime, ends_at: datetime, interval_months: int | None) -> list[datetime]:
    if not interval_months:
        return []
    out, n = [], 1
    while (due := add_months(signed_at, n * interval_months)) <= ends_at:
        out.append(due)
        n += 1
    return out


def milestones(terms: GrantTerms) -> list[Milestone]:
    """Every milestone still relevant (those of done items are dropped), in time order."""
    out: list[Milestone] = []
    items: list[tuple[str, str, datetime]] = [
        ("obligation", measure_id, due) for measure_id, due in terms.obligations.items()
        if measure_id not in terms.done_obligations
    ]  # fmt: skip
    items += [
        ("attestation", str(n), due)
        for n, due in enumerate(terms.attestation_due, start=1)
        if n not in terms.done_attestations
    ]
    for item, item_id, due in items:
        if due > terms.ends_at and item == "obligation":
            due = terms.ends_at  # an obligation cannot outlive the grant
        for days in sorted(terms.reminder_days_before, reverse=True):
            at = due - timedelta(days=days)
            if at > terms.signed_at:
                out.append(Milestone(f"{item}:{item_id}:reminder:{days}", at, "reminder", item, item_id, due))
        out.append(Milestone(f"{item}:{item_id}:overdue", due, "overdue", item, item_id, due))
        escalate_at = due + timedelta(days=terms.escalate_after_days)
        out.append(Milestone(f"{item}:{item_id}:escalated", escalate_at, "escalated", item, item_id, due))
    out.append(Milestone("grant:ended", terms.ends_at, "ended", "grant", terms.grant_reference, terms.ends_at))
    return sorted(out, key=lambda m: (m.at, m.key))
