"""Deadlines of an incident in words: which one is running (triage, investigation, each open measure),
and whether it is overdue, due soon or on time. Colour on the page only repeats this text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rsc_portal.timestamps import parse_datetime as _parse

DUE_SOON = timedelta(days=2)  # the policy reminds one working day before: two calendar days cover a weekend
OPEN_MEASURE = ("planned", "in_progress")


@dataclass(frozen=True)
class Deadline:
    item: str  # triage | investigation | measure
    due_at: datetime | None
    state: str  # overdue | due_soon | on_time | met | none
    days: int = 0  # whole days left (due_soon / on_time) or past the due instant (overdue), rounded up
    item_id: str = ""
    late: bool = False  # met, but after the due instant (when the API tells when)


def classify(
    item: str, due: Any, *, met: bool = False, done: Any = None, now: datetime | None = None, item_id: str = ""
) -> Deadline:
    due_at = _parse(due)
    if due_at is None:
        return Deadline(item, None, "none", item_id=item_id)
    if met:
        done_at = _parse(done)
        return Deadline(item, due_at, "met", item_id=item_id, late=done_at is not None and done_at > due_at)
    left = due_at - (now or datetime.now(UTC))
    if left.total_seconds() < 0:
        return Deadline(item, due_at, "overdue", max(1, math.ceil(-left.total_seconds() / 86400)), item_id)
    days = math.ceil(left.total_seconds() / 86400)
    return Deadline(item, due_at, "due_soon" if left <= DUE_SOON else "on_time", days, item_id)


def current(incident: dict[str, Any], now: datetime | None = None) -> Deadline:
    """The running deadline the list shows (the list has no measures: their deadlines are on the page)."""
    status = incident.get("status")
    if status == "reported":
        return classify("triage", incident.get("triage_due_at"), now=now)
    if status in ("triaged", "investigating"):
        return classify("investigation", incident.get("investigation_due_at"), now=now)
    if status == "measures":
        return Deadline("measures", None, "none")
    return Deadline("", None, "none")


def all_of(incident: dict[str, Any], now: datetime | None = None) -> list[Deadline]:
    """Every deadline of the incident page, met ones included (once met they are history, not alarms)."""
    status = incident.get("status")
    triaged = incident.get("triaged_at") or incident.get("closed_at")  # dismissed at triage: closed instead
    out = [classify("triage", incident.get("triage_due_at"), met=status != "reported", done=triaged, now=now)]
    if incident.get("investigation_due_at"):
        investigated = status in ("measures", "closed")
        out.append(classify("investigation", incident.get("investigation_due_at"), met=investigated, now=now))
    for measure in incident.get("measures") or []:
        done = measure.get("status") not in OPEN_MEASURE
        out.append(
            classify(
                "measure",
                measure.get("due_at"),
                met=done,
                done=measure.get("done_at"),
                now=now,
                item_id=str(measure.get("id")),
            )
        )
    return out


def worst(items: list[Deadline]) -> str:
    states = {d.state for d in items}
    return next((s for s in ("overdue", "due_soon", "on_time") if s in states), "none")
