"""What goes in and out of the SLA clock workflow: its input, the requests of its updates and signals,
its queried state and the input of its activity. Plain dataclasses (the Temporal samples' style); they
travel through the Pydantic data converter (`rsc_common.temporal.connect`), which validates the field
types, so aware datetimes, UUIDs and enums arrive as such.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.calendars import WorkingCalendar
from rsc_appraisal.sla.config import ProgrammeSla

WORKFLOW_NAME = "SlaClockWorkflow"
RECORD_ACTIVITY = "sla.record"


def sla_clock_id(proposal_id: uuid.UUID | str, version: int) -> str:
    """The workflow id convention of the appraisal clock of one proposal version (one clock per case)."""
    return f"sla-appraisal:{proposal_id}:v{version}"


class ClockStatus(StrEnum):
    running = "running"
    paused = "paused"
    stopped = "stopped"


class SlaOutcome(StrEnum):
    """Why a clock stopped: the case's decision, or why there is nothing left to decide."""

    cleared = "cleared"
    cleared_with_safeguards = "cleared_with_safeguards"
    referred = "referred"
    not_fundable = "not_fundable"
    withdrawn = "withdrawn"
    superseded = "superseded"  # a newer proposal version has its own clock
    cancelled = "cancelled"


class NoticeKind(StrEnum):
    """What a recorded notice is; each kind is one event type (see `activities.build_event`)."""

    reminder = "reminder"
    escalated = "escalated"
    breached = "breached"
    extended = "extended"
    clock_changed = "clock_changed"


class ClockChange(StrEnum):
    started = "started"
    paused = "paused"
    resumed = "resumed"
    level_changed = "level_changed"
    stopped = "stopped"


# ------------------------------------------------------------------------------------------ input


@dataclass
class SlaClockInput:
    """Everything the clock needs, frozen when it starts (build it with `client.clock_input`)."""

    case_ref: str
    proposal_id: uuid.UUID
    version: int
    level: RiskLevel
    programme: ProgrammeSla
    calendar: WorkingCalendar
    started_at: datetime
    # The call's closing date: the time-to-grant target runs from it (None: no target reported).
    call_closes_at: datetime | None = None


# --------------------------------------------------------------------------------------- requests


@dataclass
class PauseRequest:
    """The case waits on the applicant (e.g. an information request); the clock stops if the programme says so."""

    reason: str
    actor: str = "system"
    request_ref: str | None = None


@dataclass
class ResumeRequest:
    actor: str = "system"
    note: str | None = None


@dataclass
class ExtendRequest:
    working_days: int
    reason: str
    actor: str


@dataclass
class ChangeLevelRequest:
    level: RiskLevel
    actor: str = "system"
    reason: str | None = None


@dataclass
class StopRequest:
    outcome: SlaOutcome
    actor: str = "system"


# ------------------------------------------------------------------------------------------ state


@dataclass
class MilestoneView:
    kind: NoticeKind
    fraction: float
    at: datetime | None  # None while paused


@dataclass
class ReminderSent:
    fraction: float
    round: int
    at: datetime


@dataclass
class ExtensionRecord:
    working_days: int
    reason: str
    actor: str
    at: datetime
    due_before: datetime
    due_after: datetime


@dataclass
class PauseRecord:
    reason: str
    actor: str
    since: datetime
    until: datetime | None = None
    request_ref: str | None = None
    clock_paused: bool = True  # False when the programme keeps the clock running while waiting


@dataclass
class LevelChange:
    previous: RiskLevel
    level: RiskLevel
    actor: str
    reason: str | None
    at: datetime


@dataclass
class RejectedSignal:
    signal: str
    error: str
    at: datetime


@dataclass
class SlaState:
    """The clock as of `as_of` (the `state` query; also every update's answer and the workflow's result)."""

    clock_id: str
    case_ref: str
    proposal_id: uuid.UUID
    version: int
    programme: str
    config_version: str
    calendar_id: str
    calendar_version: str
    level: RiskLevel
    status: ClockStatus
    outcome: SlaOutcome | None
    as_of: datetime
    started_at: datetime
    stopped_at: datetime | None
    # The instant the budget is (or was) used up; while paused: if the clock resumed now.
    due_at: datetime
    due_date: date  # the last working day of the budget, in the calendar's zone
    budget_working_days: int  # for the current level
    extension_working_days: int
    total_working_days: int
    used_working_days: float
    remaining_working_days: float  # negative when overdue
    used_fraction: float
    waiting_on_applicant: bool
    paused: bool
    paused_since: datetime | None
    paused_total_seconds: float  # wall-clock time the clock stood still (current pause included)
    paused_working_days: float  # working days that passed while it stood still
    breached: bool
    breached_at: datetime | None
    escalated_at: datetime | None
    escalated_to: str | None
    projected_breach: bool
    time_to_grant_due_at: datetime | None
    time_to_grant_at_risk: bool
    next_milestone: MilestoneView | None
    reminders_sent: list[ReminderSent] = field(default_factory=list)
    extensions: list[ExtensionRecord] = field(default_factory=list)
    pauses: list[PauseRecord] = field(default_factory=list)
    level_changes: list[LevelChange] = field(default_factory=list)
    rejected_signals: list[RejectedSignal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------- activity


@dataclass
class SlaSnapshot:
    """The clock's read-model row (`sla_clock`) and the common part of every SLA event."""

    clock_id: str
    case_ref: str
    proposal_id: uuid.UUID
    version: int
    programme: str
    config_version: str
    calendar_id: str
    level: RiskLevel
    status: ClockStatus
    outcome: SlaOutcome | None
    paused: bool
    paused_since: datetime | None
    started_at: datetime
    due_at: datetime
    budget_working_days: int
    extension_working_days: int
    used_working_days: float
    remaining_working_days: float
    breached: bool
    breached_at: datetime | None
    escalated_at: datetime | None
    projected_breach: bool
    time_to_grant_due_at: datetime | None
    seq: int  # the notice's sequence number: a row is only ever overwritten by a later one
    as_of: datetime


@dataclass
class SlaNotice:
    """One thing to record: an outbox event plus the read-model row, exactly once per `key`."""

    kind: NoticeKind
    key: str  # unique per (clock, kind, fraction[, round]) or (clock, kind, seq)
    seq: int
    at: datetime
    fraction: float | None = None
    to_role: str | None = None
    change: ClockChange | None = None
    working_days: int | None = None
    reason: str | None = None
    actor: str | None = None
    previous_due_at: datetime | None = None
    previous_level: RiskLevel | None = None
    outcome: SlaOutcome | None = None


@dataclass
class RecordSlaInput:
    snapshot: SlaSnapshot
    notice: SlaNotice


@dataclass
class RecordSlaResult:
    key: str
    emitted: bool  # False: an earlier attempt already recorded this notice
    event_id: uuid.UUID | None = None
