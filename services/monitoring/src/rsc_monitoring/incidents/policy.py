"""The incident policy (versioned data) and the working-day arithmetic of its deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

POLICY_FILE = Path(__file__).parent / "data" / "incident-policy.yaml"


class IncidentPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    owner: str
    review_by: date
    sources: list[str] = Field(min_length=1)
    timezone: str
    triage_working_days: int = Field(ge=1, le=60)
    investigation_working_days: dict[str, int]
    reminder_working_days_before: int = Field(ge=0, le=30)
    escalate_after_working_days: int = Field(ge=0, le=60)
    escalate_to_role: str
    measure_default_working_days: int = Field(ge=1, le=365)
    tips_per_source_per_hour: int = Field(ge=1)
    tips_per_hour: int = Field(ge=1)

    def warnings(self, today: date) -> list[str]:
        if today > self.review_by:
            return [f"incident policy {self.version} is past its review date {self.review_by.isoformat()}"]
        return []

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` working days (Monday-Friday in the policy's time zone) after `start`, same local time;
        negative counts go back."""
        local = start.astimezone(ZoneInfo(self.timezone))
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        while remaining:
            local += timedelta(days=step)
            if local.weekday() < 5:
                remaining -= 1
        return local.astimezone(start.tzinfo)


@cache
def default_policy() -> IncidentPolicy:
    return IncidentPolicy.model_validate(yaml.safe_load(POLICY_FILE.read_text()))
