"""The SLA clock as a pure state machine: the workflow's brain, without Temporal.

`SlaClock` keeps the running segments of the clock (it runs from `started_at`, stands still while
paused, stops for good when the case is decided), the budget (the level's working days plus granted
extensions) and the milestones: one reminder per configured fraction, the escalation and the breach.
Every method takes the current instant (`workflow.now()` in the workflow) and returns the notices to
record, each as a `RecordSlaInput` (snapshot of the clock at that instant + what happened), so the
workflow only has to execute them in order. No I/O, no clock of its own: deterministic by design.

Each `check_*` method raises `SlaRequestError` for a request that must be refused and changes
nothing; the matching method (`pause`, `extend`, ...) runs the same check first, then applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.calendars import (
    DAY,
    ZERO,
    add_months,
    add_working_time,
    local_date,
    working_time_between,
)
from rsc_appraisal.sla.contracts import (
    ChangeLevelRequest,
    ClockChange,
    ClockStatus,
    ExtendRequest,
    ExtensionRecord,
    LevelChange,
    MilestoneView,
    NoticeKind,
    PauseRecord,
    PauseRequest,
    RecordSlaInput,
    RejectedSignal,
    ReminderSent,
    ResumeRequest,
    SlaClockInput,
    SlaNotice,
    SlaOutcome,
    SlaSnapshot,
    SlaState,
    StopRequest,
)

# A timer may fire a hair before the computed instant (clock resolution); a milestone this close is due.
FIRE_TOLERANCE = timedelta(seconds=1)
MAX_TEXT = 2000
_KIND_ORDER = {NoticeKind.reminder: 0, NoticeKind.escalated: 1, NoticeKind.breached: 2}


class SlaRequestError(ValueError):
    """A request the clock refuses (bad input or the wrong state); nothing was changed."""


class SlaInputError(ValueError):
    """The clock's input cannot start a clock (e.g. no budget for the level)."""


@dataclass
class Milestone:
    kind: NoticeKind
    fraction: float
    round: int = 0  # incremented when a budget increase re-arms a milestone that had fired
    fired_at: datetime | None = None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise SlaInputError("instants must be timezone-aware")
    return value.astimezone(UTC)


def _text(value: object, name: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SlaRequestError(f"{name} is required")
    if len(value) > MAX_TEXT:
        raise SlaRequestError(f"{name} is longer than {MAX_TEXT} characters")
    return value.strip()


def _days(value: timedelta) -> float:
    return round(value / DAY, 4)


class SlaClock:
    def __init__(self, clock_id: str, data: SlaClockInput) -> None:
        if not clock_id:
            raise SlaInputError("the clock needs an id")
        if not isinstance(data.case_ref, str) or not data.case_ref.strip():
            raise SlaInputError("case_ref is required")
        if data.version < 1:
            raise SlaInputError("version must be >= 1")
        if data.programme.calendar != data.calendar.id:
            raise SlaInputError(
                f"programme {data.programme.programme!r} runs on calendar {data.programme.calendar!r}, "
                f"not {data.calendar.id!r}"
            )
        try:
            self.level = RiskLevel(data.level)
            data.programme.budget_for(self.level)
        except ValueError as exc:
            raise SlaInputError(str(exc)) from None
        self.id = clock_id
        self.data = data
        self.programme = data.programme
        self.calendar = data.calendar
        self.started_at = _utc(data.started_at)
        self.segments: list[tuple[datetime, datetime]] = []  # closed running segments
        self.running_since: datetime | None = self.started_at
        self.status = ClockStatus.running
        self.outcome: SlaOutcome | None = None
        self.stopped_at: datetime | None = None
        self.extension_days = 0
        self.extensions: list[ExtensionRecord] = []
        self.pauses: list[PauseRecord] = []
        self.level_changes: list[LevelChange] = []
        self.reminders: list[ReminderSent] = []
        self.rejected: list[RejectedSignal] = []
        self.seq = 0
        self.time_to_grant_due_at = (
            add_months(_utc(data.call_closes_at), self.programme.time_to_grant_months, self.calendar)
            if data.call_closes_at is not None
            else None
        )
        milestones = [Milestone(NoticeKind.reminder, f) for f in self.programme.reminders]
        milestones.append(Milestone(NoticeKind.escalated, self.programme.escalation.at))
        milestones.append(Milestone(NoticeKind.breached, 1.0))
        self.milestones = sorted(milestones, key=lambda m: (m.fraction, _KIND_ORDER[m.kind]))
        fractions = self.programme.reminders or (self.programme.escalation.at,)
        self.at_risk_fraction = max(fractions)

    # ------------------------------------------------------------------------------ measurements

    @property
    def waiting(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].until is None

    @property
    def paused(self) -> bool:
        return self.status is ClockStatus.paused

    @property
    def stopped(self) -> bool:
        return self.status is ClockStatus.stopped

    def budget_days(self) -> int:
        return self.programme.budget_for(self.level)

    def total(self) -> timedelta:
        return timedelta(days=self.budget_days() + self.extension_days)

    def threshold(self, milestone: Milestone) -> timedelta:
        return self.total() * milestone.fraction

    def used(self, now: datetime) -> timedelta:
        total = sum((working_time_between(s, e, self.calendar) for s, e in self.segments), ZERO)
        if self.running_since is not None:
            total += max(ZERO, working_time_between(self.running_since, now, self.calendar))
        return total

    def instant_at(self, target: timedelta, now: datetime) -> datetime:
        """When `target` working time is (or was) used; while not running, as if the clock ran again from now."""
        used = ZERO
        for start, end in self.segments:
            segment = max(ZERO, working_time_between(start, end, self.calendar))
            if used + segment >= target:
                return add_working_time(start, target - used, self.calendar)
            used += segment
        if self.running_since is not None:
            return add_working_time(self.running_since, max(ZERO, target - used), self.calendar)
        resumed = self.stopped_at or now  # a stopped clock's projection stays put
        return add_working_time(resumed, max(ZERO, target - used), self.calendar)

    def due_at(self, now: datetime) -> datetime:
        return self.instant_at(self.total(), now)

    def _milestone(self, kind: NoticeKind) -> Milestone:
        return next(m for m in self.milestones if m.kind is kind)

    def next_milestone(self, now: datetime) -> tuple[Milestone, datetime] | None:
        """The next milestone to wait for (None when nothing can fire before the next change)."""
        if self.status is not ClockStatus.running:
            return None
        pending = [(m, self.instant_at(self.threshold(m), now)) for m in self.milestones if m.fired_at is None]
        return min(pending, key=lambda p: (p[1], p[0].fraction, _KIND_ORDER[p[0].kind]), default=None)

    # ---------------------------------------------------------------------------------- notices

    def _notice(self, now: datetime, kind: NoticeKind, key: str | None = None, **details: object) -> RecordSlaInput:
        self.seq += 1
        change = details.get("change")
        name = change.value if isinstance(change, ClockChange) else kind.value
        notice = SlaNotice(kind=kind, key=key or f"{self.id}:{name}:{self.seq}", seq=self.seq, at=now, **details)
        return RecordSlaInput(snapshot=self.snapshot(now), notice=notice)

    def start(self, now: datetime) -> list[RecordSlaInput]:
        return [self._notice(now, NoticeKind.clock_changed, change=ClockChange.started)]

    def fire_due(self, now: datetime) -> list[RecordSlaInput]:
        """Fire every milestone whose instant has come, in order (reminders, escalation, breach)."""
        records: list[RecordSlaInput] = []
        if self.stopped:
            return records
        for milestone in self.milestones:
            if milestone.fired_at is not None:
                continue
            if self.instant_at(self.threshold(milestone), now) > now + FIRE_TOLERANCE:
                continue
            milestone.fired_at = now
            key = f"{self.id}:{milestone.kind.value}:{milestone.fraction:g}:{milestone.round}"
            if milestone.kind is NoticeKind.reminder:
                self.reminders.append(ReminderSent(milestone.fraction, milestone.round, now))
                records.append(self._notice(now, NoticeKind.reminder, key, fraction=milestone.fraction))
            elif milestone.kind is NoticeKind.escalated:
                records.append(
                    self._notice(
                        now,
                        NoticeKind.escalated,
                        key,
                        fraction=milestone.fraction,
                        to_role=self.programme.escalation.role,
                    )
                )
            else:
                records.append(self._notice(now, NoticeKind.breached, key, fraction=milestone.fraction))
        return records

    def _rearm(self, now: datetime) -> None:
        """After a budget increase, milestones now ahead of the used time fire again (a new round)."""
        used = self.used(now)
        for milestone in self.milestones:
            if milestone.fired_at is not None and used < self.threshold(milestone):
                milestone.fired_at = None
                milestone.round += 1

    # ------------------------------------------------------------------------------ requests

    def _check_running(self) -> None:
        if self.stopped:
            raise SlaRequestError(f"the clock is stopped (outcome {self.outcome.value if self.outcome else '-'})")

    def check_pause(self, request: PauseRequest) -> None:
        self._check_running()
        _text(request.reason, "reason")
        _text(request.actor, "actor")
        _text(request.request_ref, "request_ref", required=False)
        if self.waiting:
            raise SlaRequestError(f"already waiting on the applicant since {self.pauses[-1].since.isoformat()}")

    def pause(self, now: datetime, request: PauseRequest) -> list[RecordSlaInput]:
        self.check_pause(request)
        reason, actor = _text(request.reason, "reason"), _text(request.actor, "actor")
        stops = self.programme.pause_while_waiting_on_applicant
        self.pauses.append(
            PauseRecord(reason or "", actor or "", now, request_ref=request.request_ref, clock_paused=stops)
        )
        if not stops:
            return []  # the programme keeps counting while the applicant is asked
        self._close_segment(now)
        self.status = ClockStatus.paused
        return [self._notice(now, NoticeKind.clock_changed, change=ClockChange.paused, reason=reason, actor=actor)]

    def check_resume(self, request: ResumeRequest) -> None:
        self._check_running()
        _text(request.actor, "actor")
        _text(request.note, "note", required=False)
        if not self.waiting:
            raise SlaRequestError("the clock is not paused")

    def resume(self, now: datetime, request: ResumeRequest) -> list[RecordSlaInput]:
        self.check_resume(request)
        pause = self.pauses[-1]
        pause.until = now
        if not pause.clock_paused:
            return []
        self.running_since = now
        self.status = ClockStatus.running
        actor, note = _text(request.actor, "actor"), _text(request.note, "note", required=False)
        return [self._notice(now, NoticeKind.clock_changed, change=ClockChange.resumed, reason=note, actor=actor)]

    def check_extend(self, request: ExtendRequest) -> None:
        self._check_running()
        days, most = request.working_days, self.programme.max_extension_working_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= most:
            raise SlaRequestError(f"working_days must be a whole number from 1 to {most}")
        _text(request.reason, "reason")
        _text(request.actor, "actor")

    def extend(self, now: datetime, request: ExtendRequest) -> list[RecordSlaInput]:
        self.check_extend(request)
        reason, actor = _text(request.reason, "reason") or "", _text(request.actor, "actor") or ""
        before = self.due_at(now)
        self.extension_days += request.working_days
        self._rearm(now)
        after = self.due_at(now)
        self.extensions.append(ExtensionRecord(request.working_days, reason, actor, now, before, after))
        return [
            self._notice(
                now,
                NoticeKind.extended,
                working_days=request.working_days,
                reason=reason,
                actor=actor,
                previous_due_at=before,
            )
        ]

    def check_change_level(self, request: ChangeLevelRequest) -> None:
        self._check_running()
        _text(request.actor, "actor")
        _text(request.reason, "reason", required=False)
        try:
            level = RiskLevel(request.level)
            self.programme.budget_for(level)
        except ValueError as exc:
            raise SlaRequestError(str(exc)) from None
        if level is self.level:
            raise SlaRequestError(f"the level is already {level.value}")

    def change_level(self, now: datetime, request: ChangeLevelRequest) -> list[RecordSlaInput]:
        self.check_change_level(request)
        previous, self.level = self.level, RiskLevel(request.level)
        actor, reason = _text(request.actor, "actor") or "", _text(request.reason, "reason", required=False)
        self._rearm(now)
        self.level_changes.append(LevelChange(previous, self.level, actor, reason, now))
        return [
            self._notice(
                now,
                NoticeKind.clock_changed,
                change=ClockChange.level_changed,
                previous_level=previous,
                actor=actor,
                reason=reason,
            )
        ]

    def check_stop(self, request: StopRequest) -> None:
        self._check_running()
        _text(request.actor, "actor")
        try:
            SlaOutcome(request.outcome)
        except ValueError:
            known = ", ".join(o.value for o in SlaOutcome)
            raise SlaRequestError(f"unknown outcome {request.outcome!r} (one of {known})") from None

    def stop(self, now: datetime, request: StopRequest) -> list[RecordSlaInput]:
        self.check_stop(request)
        self._close_segment(now)
        if self.waiting:
            self.pauses[-1].until = now
        self.status, self.outcome, self.stopped_at = ClockStatus.stopped, SlaOutcome(request.outcome), now
        actor = _text(request.actor, "actor")
        return [
            self._notice(now, NoticeKind.clock_changed, change=ClockChange.stopped, outcome=self.outcome, actor=actor)
        ]

    def reject(self, signal: str, error: str, now: datetime) -> None:
        """Remember a refused signal (signals cannot be refused to their sender; the state shows them)."""
        self.rejected.append(RejectedSignal(signal, error, now))

    def _close_segment(self, now: datetime) -> None:
        if self.running_since is not None:
            self.segments.append((self.running_since, max(now, self.running_since)))
            self.running_since = None

    # --------------------------------------------------------------------------------- views

    def _paused_totals(self, now: datetime) -> tuple[float, float]:
        wall, working = ZERO, ZERO
        for pause in self.pauses:
            if pause.clock_paused:
                until = pause.until or now
                wall += until - pause.since
                working += working_time_between(pause.since, until, self.calendar)
        return wall.total_seconds(), _days(working)

    def _at_risk(self, now: datetime) -> bool:
        fired = any(m.fired_at is not None for m in self.milestones if m.fraction >= self.at_risk_fraction)
        return fired or self.used(now) >= self.total() * self.at_risk_fraction

    def state(self, now: datetime) -> SlaState:
        used, total, due = self.used(now), self.total(), self.due_at(now)
        breach, escalation = self._milestone(NoticeKind.breached), self._milestone(NoticeKind.escalated)
        ttg_at_risk = self.time_to_grant_due_at is not None and due > self.time_to_grant_due_at
        nxt = self.next_milestone(now)
        if nxt is None:
            pending = [m for m in self.milestones if m.fired_at is None]
            view = MilestoneView(pending[0].kind, pending[0].fraction, None) if pending and not self.stopped else None
        else:
            view = MilestoneView(nxt[0].kind, nxt[0].fraction, nxt[1])
        paused_seconds, paused_days = self._paused_totals(now)
        last_day = local_date(due - timedelta(microseconds=1) if due > self.started_at else due, self.calendar)
        warnings = []
        if self.calendar.example_data:
            warnings.append(f"calendar {self.calendar.id!r} is example data")
        if self.calendar.holidays_listed_until and last_day > self.calendar.holidays_listed_until:
            warnings.append(
                f"calendar {self.calendar.id!r} lists holidays only until {self.calendar.holidays_listed_until}"
            )
        return SlaState(
            clock_id=self.id,
            case_ref=self.data.case_ref,
            proposal_id=self.data.proposal_id,
            version=self.data.version,
            programme=self.programme.programme,
            config_version=self.programme.config_version,
            calendar_id=self.calendar.id,
            calendar_version=self.calendar.version,
            level=self.level,
            status=self.status,
            outcome=self.outcome,
            as_of=now,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            due_at=due,
            due_date=last_day,
            budget_working_days=self.budget_days(),
            extension_working_days=self.extension_days,
            total_working_days=self.budget_days() + self.extension_days,
            used_working_days=_days(used),
            remaining_working_days=_days(total - used),
            used_fraction=round(used / total, 4),
            waiting_on_applicant=self.waiting,
            paused=self.paused,
            paused_since=self.pauses[-1].since if self.paused else None,
            paused_total_seconds=paused_seconds,
            paused_working_days=paused_days,
            breached=breach.fired_at is not None,
            breached_at=breach.fired_at,
            escalated_at=escalation.fired_at,
            escalated_to=self.programme.escalation.role if escalation.fired_at is not None else None,
            projected_breach=breach.fired_at is not None or self._at_risk(now) or ttg_at_risk,
            time_to_grant_due_at=self.time_to_grant_due_at,
            time_to_grant_at_risk=ttg_at_risk,
            next_milestone=view,
            reminders_sent=list(self.reminders),
            extensions=list(self.extensions),
            pauses=list(self.pauses),
            level_changes=list(self.level_changes),
            rejected_signals=list(self.rejected),
            warnings=warnings,
        )

    def snapshot(self, now: datetime) -> SlaSnapshot:
        state = self.state(now)
        return SlaSnapshot(
            clock_id=state.clock_id,
            case_ref=state.case_ref,
            proposal_id=state.proposal_id,
            version=state.version,
            programme=state.programme,
            config_version=state.config_version,
            calendar_id=state.calendar_id,
            level=state.level,
            status=state.status,
            outcome=state.outcome,
            paused=state.paused,
            paused_since=state.paused_since,
            started_at=state.started_at,
            due_at=state.due_at,
            budget_working_days=state.budget_working_days,
            extension_working_days=state.extension_working_days,
            used_working_days=state.used_working_days,
            remaining_working_days=state.remaining_working_days,
            breached=state.breached,
            breached_at=state.breached_at,
            escalated_at=state.escalated_at,
            projected_breach=state.projected_breach,
            time_to_grant_due_at=state.time_to_grant_due_at,
            seq=self.seq,
            as_of=now,
        )
