"""SLA countdowns for the queue and the case page, classified as the appraisal API counts them
(`cases.queries`): overdue when breached or past the due date, at risk when projected to breach or due
within five calendar days; a stopped clock (decided case) has no countdown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rsc_portal.timestamps import parse_datetime as _parse

AT_RISK_DAYS = 5  # rsc_appraisal.cases.queries.SLA_AT_RISK_DAYS


@dataclass(frozen=True)
class Countdown:
    state: str  # overdue | at_risk | on_track | paused | stopped | none
    due_at: datetime | None = None
    days: int | None = None  # whole calendar days left (overdue: days past due)
    remaining_working_days: float | None = None
    paused: bool = False

    @property
    def css(self) -> str:
        return {"overdue": "sla-overdue", "at_risk": "sla-at-risk"}.get(self.state, "")

    @property
    def highlighted(self) -> bool:
        return self.state in ("overdue", "at_risk")


def classify(sla: dict[str, Any] | None, now: datetime | None = None) -> Countdown:
    if not sla:
        return Countdown("none")
    now = now or datetime.now(UTC)
    due = _parse(sla.get("due_at"))
    remaining = sla.get("remaining_working_days")
    paused = bool(sla.get("paused"))
    if sla.get("status") == "stopped" or due is None:
        return Countdown("stopped", due, None, remaining, paused)
    seconds = (due - now).total_seconds()
    if sla.get("breached") or seconds < 0:
        return Countdown("overdue", due, max(1, math.floor(-seconds / 86400)) if seconds < 0 else 0, remaining, paused)
    days = math.floor(seconds / 86400)
    if sla.get("projected_breach") or due <= now + timedelta(days=AT_RISK_DAYS):
        return Countdown("at_risk", due, days, remaining, paused)
    return Countdown("paused" if paused else "on_track", due, days, remaining, paused)
