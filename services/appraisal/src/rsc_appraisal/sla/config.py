"""SLA configuration and calendars as data: versioned YAML files in `sla/data/`, validated by pydantic.

    config = default_sla_config()                  # sla/data/sla-config.yaml, checked against the calendars
    programme = config.programme("default")        # a ProgrammeSla snapshot (unknown keys: the default programme)
    calendar = default_calendars().calendar(programme.calendar)

A problem in either file is reported with its location and line (the policy loader's `PolicyError`).
An SLA clock snapshots the `ProgrammeSla` and `WorkingCalendar` it runs on, with their file versions,
so a changed file only affects clocks started afterwards.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.policy.checks import PolicyIssue
from rsc_appraisal.policy.loader import PolicyError, load_document
from rsc_appraisal.sla.calendars import CalendarId, CalendarSpec, VersionLabel, WorkingCalendar

DATA = Path(__file__).parent / "data"
DEFAULT_CONFIG_PATH = DATA / "sla-config.yaml"
DEFAULT_CALENDARS_PATH = DATA / "calendars.yaml"

ProgrammeKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
RoleName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
MAX_BUDGET_WORKING_DAYS = 730


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Model):
    at: float = Field(default=1.0, gt=0, le=1, description="Fraction of the budget at which to escalate.")
    role: RoleName = Field(default="appraisal_supervisor", description="Who the escalation goes to.")


class ProgrammeSlaSpec(_Model):
    """One programme's entry in the configuration file."""

    title: str = Field(min_length=1, max_length=300)
    calendar: CalendarId
    time_to_grant_months: int = Field(default=8, ge=1, le=60, description="Call close to signature.")
    appraisal_budget_working_days: dict[RiskLevel, int] = Field(
        description="Security-appraisal budget per risk level, in working days of the calendar."
    )
    reminders: tuple[float, ...] = Field(default=(0.5, 0.8), description="Fractions of the budget, ascending.")
    escalation: Escalation = Escalation()
    pause_while_waiting_on_applicant: bool = True
    max_extension_working_days: int = Field(default=60, ge=1, le=MAX_BUDGET_WORKING_DAYS)

    @field_validator("appraisal_budget_working_days")
    @classmethod
    def _positive_budgets(cls, value: dict[RiskLevel, int]) -> dict[RiskLevel, int]:
        if not value:
            raise ValueError("at least one risk level needs a budget")
        bad = [level.value for level, days in value.items() if not 1 <= days <= MAX_BUDGET_WORKING_DAYS]
        if bad:
            raise ValueError(f"budgets must be 1..{MAX_BUDGET_WORKING_DAYS} working days (not for {', '.join(bad)})")
        return value

    @field_validator("reminders")
    @classmethod
    def _ascending_fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in value):
            raise ValueError("reminder fractions lie strictly between 0 and 1 (1.0 is the escalation/breach)")
        if list(value) != sorted(set(value)):
            raise ValueError("reminder fractions must be unique and ascending")
        return value


class ProgrammeSla(ProgrammeSlaSpec):
    """A programme's SLA configuration with its key and the configuration version: the clock's snapshot."""

    programme: ProgrammeKey
    config_version: VersionLabel

    def budget_for(self, level: RiskLevel | str) -> int:
        try:
            return self.appraisal_budget_working_days[RiskLevel(level)]
        except (KeyError, ValueError):
            configured = ", ".join(sorted(level.value for level in self.appraisal_budget_working_days))
            raise ValueError(
                f"programme {self.programme!r} has no appraisal budget for level {getattr(level, 'value', level)!r} "
                f"(configured: {configured})"
            ) from None


class SlaConfig(_Model):
    version: VersionLabel
    title: str = Field(min_length=1, max_length=300)
    review_by: date | None = None
    sources: list[str] = []
    default_programme: ProgrammeKey
    programmes: dict[ProgrammeKey, ProgrammeSlaSpec]

    @model_validator(mode="after")
    def _default_exists(self) -> SlaConfig:
        if self.default_programme not in self.programmes:
            raise ValueError(f"default_programme {self.default_programme!r} is not among the programmes")
        return self

    def programme(self, key: str | None = None) -> ProgrammeSla:
        """The programme's configuration; a programme without an entry gets the default one."""
        chosen = key if key in self.programmes else self.default_programme
        spec = self.programmes[chosen]
        return ProgrammeSla(**spec.model_dump(), programme=chosen, config_version=self.version)


class CalendarSet(_Model):
    version: VersionLabel
    title: str = Field(min_length=1, max_length=300)
    review_by: date | None = None
    calendars: dict[CalendarId, CalendarSpec]

    # Built once per calendar: the set is immutable, and every case's clock asks for its calendar.
    _built: dict[str, WorkingCalendar] = PrivateAttr(default_factory=dict)

    def calendar(self, calendar_id: str) -> WorkingCalendar:
        if (built := self._built.get(calendar_id)) is not None:
            return built
        try:
            spec = self.calendars[calendar_id]
        except KeyError:
            raise KeyError(f"no calendar {calendar_id!r} (known: {', '.join(sorted(self.calendars))})") from None
        built = self._built[calendar_id] = WorkingCalendar(**spec.model_dump(), id=calendar_id, version=self.version)
        return built


def check_calendars(config: SlaConfig, calendars: CalendarSet, *, name: str = "sla-config") -> None:
    """Every programme's calendar must exist (raises `PolicyError` naming each one that does not)."""
    issues = [
        PolicyIssue(("programmes", key, "calendar"), f"unknown calendar {spec.calendar!r}")
        for key, spec in config.programmes.items()
        if spec.calendar not in calendars.calendars
    ]
    if issues:
        raise PolicyError(name, issues)


def review_warnings(config: SlaConfig, calendars: CalendarSet, today: date) -> list[str]:
    warnings = []
    if config.review_by and config.review_by < today:
        warnings.append(f"SLA configuration {config.version} was due for review on {config.review_by}")
    if calendars.review_by and calendars.review_by < today:
        warnings.append(f"calendars {calendars.version} were due for review on {calendars.review_by}")
    for key, spec in calendars.calendars.items():
        if spec.holidays_listed_until and spec.holidays_listed_until < today:
            warnings.append(f"calendar {key!r} lists holidays only until {spec.holidays_listed_until}")
    return warnings


def load_sla_config(path: Path) -> SlaConfig:
    return load_document(path, SlaConfig)


def load_calendars(path: Path) -> CalendarSet:
    return load_document(path, CalendarSet)


@cache
def default_calendars() -> CalendarSet:
    return load_calendars(DEFAULT_CALENDARS_PATH)


@cache
def default_sla_config() -> SlaConfig:
    config = load_sla_config(DEFAULT_CONFIG_PATH)
    check_calendars(config, default_calendars(), name=DEFAULT_CONFIG_PATH.name)
    return config
