"""The monitoring plan: attestation cadence by risk level, reminders, escalation (versioned data)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PLAN = Path(__file__).parent / "data" / "monitoring-plan.yaml"


class ChangeKind(StrEnum):
    affiliations = "affiliations"
    funding = "funding"
    partner_ownership_or_control = "partner_ownership_or_control"
    new_partner = "new_partner"


class MonitoringPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    owner: str
    review_by: date
    sources: list[str] = Field(min_length=1)
    default_duration_months: int = Field(ge=1, le=240)
    attestation_interval_months: dict[str, int | None]
    reminder_days_before: list[int] = Field(default_factory=list)
    escalate_after_days: int = Field(ge=0, le=365)
    escalate_to_role: str
    reappraisal_on_changes: list[ChangeKind]

    def interval_for(self, level: str) -> int | None:
        return self.attestation_interval_months.get(level)

    def warnings(self, today: date) -> list[str]:
        if today > self.review_by:
            return [f"monitoring plan {self.version} is past its review date {self.review_by.isoformat()}"]
        return []


@cache
def load_plan(path: Path | None = None) -> MonitoringPlan:
    """The plan in `path` (a funder's own, set as `RSC_MONITORING_MONITORING_PLAN_FILE`), or the default."""
    return MonitoringPlan.model_validate(yaml.safe_load((path or DEFAULT_PLAN).read_text()))


def default_plan() -> MonitoringPlan:
    return load_plan(None)
