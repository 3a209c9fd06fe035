"""The SLA clock's state machine without Temporal: milestones, pauses, extensions, level changes,
refused requests, and the events its notices become."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.activities import build_event, read_model_row
from rsc_appraisal.sla.calendars import add_working_days
from rsc_appraisal.sla.clock import SlaClock, SlaInputError, SlaRequestError
from rsc_appraisal.sla.contracts import (
    ChangeLevelRequest,
    ClockChange,
    ClockStatus,
    ExtendRequest,
    NoticeKind,
    PauseRequest,
    RecordSlaInput,
    ResumeRequest,
    SlaOutcome,
    StopRequest,
    sla_clock_id,
)
from rsc_common.events import registered
from tests.appraisal.unit.sla.support import clock_data, make_calendar

CAL = make_calendar(date(2027, 3, 26))
T0 = datetime(2027, 3, 1, 9, tzinfo=UTC)  # a Monday


def make(level: str = "medium", *, call_closes_at: datetime | None = None, **changes: object) -> SlaClock:
    data = clock_data(T0, level, calendar=CAL, call_closes_at=call_closes_at, proposal_id=uuid.UUID(int=1), **changes)
    return SlaClock(sla_clock_id(data.proposal_id, data.version), data)


def at(days: float) -> datetime:
    return add_working_days(T0, days, CAL)


def run_until(clock: SlaClock, end: datetime) -> list[RecordSlaInput]:
    """What the workflow loop does: sleep to the next milestone, fire, repeat."""
    fired = []
    while (upcoming := clock.next_milestone(end)) is not None and upcoming[1] <= end:
        fired += clock.fire_due(upcoming[1])
    return fired


def kinds(records: list[RecordSlaInput]) -> list[tuple[str, float | None]]:
    return [(r.notice.kind.value, r.notice.fraction) for r in records]


def test_reminders_escalation_and_breach_at_their_fractions() -> None:
    clock = make()
    [started] = clock.start(T0)
    assert started.notice.change is ClockChange.started
    assert started.snapshot.due_at == at(20)
    fired = run_until(clock, T0 + timedelta(days=60))
    assert kinds(fired) == [("reminder", 0.5), ("reminder", 0.8), ("escalated", 1.0), ("breached", 1.0)]
    assert [r.notice.at for r in fired] == [at(10), at(16), at(20), at(20)]
    assert fired[2].notice.to_role == "appraisal_supervisor"
    assert len({r.notice.key for r in [started, *fired]}) == 5
    assert [r.notice.seq for r in [started, *fired]] == [1, 2, 3, 4, 5]
    state = clock.state(at(25))
    assert state.breached
    assert state.breached_at == at(20)
    assert state.escalated_to == "appraisal_supervisor"
    assert state.used_working_days == 25
    assert state.remaining_working_days == -5
    assert state.projected_breach
    assert clock.next_milestone(at(25)) is None


def test_the_holiday_moves_the_due_date() -> None:
    clock = make()
    # 20 working days from Monday 1 March: 29 March without the holiday on Friday 26 March, 30 March with it
    assert clock.state(T0).due_at == datetime(2027, 3, 30, 9, tzinfo=UTC)
    assert clock.state(T0).due_date == date(2027, 3, 30)


def test_a_pause_stops_the_clock_and_a_resume_continues_it() -> None:
    clock = make()
    clock.start(T0)
    run_until(clock, at(5))
    [paused] = clock.pause(at(5), PauseRequest(reason="information requested", actor="officer"))
    assert paused.notice.change is ClockChange.paused
    assert paused.snapshot.paused
    later = at(5) + timedelta(days=30)
    assert clock.next_milestone(later) is None
    state = clock.state(later)
    assert state.status is ClockStatus.paused
    assert state.used_working_days == 5
    assert state.paused_total_seconds == 30 * 86400
    [resumed] = clock.resume(later, ResumeRequest(actor="applicant"))
    assert resumed.notice.change is ClockChange.resumed
    assert clock.state(later).due_at == add_working_days(later, 15, CAL)
    fired = run_until(clock, later + timedelta(days=60))
    assert fired[0].notice.at == add_working_days(later, 5, CAL)  # the 50 % reminder, 5 days after resuming


def test_a_programme_that_does_not_pause_keeps_counting() -> None:
    clock = make(pause_while_waiting_on_applicant=False)
    assert clock.pause(at(2), PauseRequest(reason="information requested")) == []
    state = clock.state(at(4))
    assert state.waiting_on_applicant
    assert not state.paused
    assert state.used_working_days == 4
    assert clock.resume(at(4), ResumeRequest()) == []
    assert not clock.state(at(4)).waiting_on_applicant


def test_an_extension_moves_the_due_date_and_re_arms_passed_milestones() -> None:
    clock = make()
    clock.start(T0)
    assert kinds(run_until(clock, at(12))) == [("reminder", 0.5)]
    [extended] = clock.extend(at(12), ExtendRequest(working_days=10, reason="partner abroad", actor="officer"))
    assert extended.notice.kind is NoticeKind.extended
    assert extended.notice.previous_due_at == at(20)
    assert extended.snapshot.due_at == at(30)
    # 12 of 30 days used: the 50 % reminder is due again (a new round, a new key) at 15
    fired = run_until(clock, T0 + timedelta(days=80))
    assert kinds(fired) == [("reminder", 0.5), ("reminder", 0.8), ("escalated", 1.0), ("breached", 1.0)]
    assert [r.notice.at for r in fired] == [at(15), at(24), at(30), at(30)]
    assert fired[0].notice.key.endswith(":reminder:0.5:1")
    state = clock.state(at(31))
    assert [e.working_days for e in state.extensions] == [10]
    assert state.total_working_days == 30


def test_an_extension_after_the_breach_re_arms_the_breach() -> None:
    clock = make()
    run_until(clock, at(21))
    assert clock.state(at(21)).breached
    clock.extend(at(21), ExtendRequest(working_days=5, reason="late answer", actor="officer"))
    assert not clock.state(at(21)).breached
    assert kinds(run_until(clock, T0 + timedelta(days=60)))[-1] == ("breached", 1.0)


def test_a_level_change_recomputes_the_budget() -> None:
    clock = make("high")
    clock.start(T0)
    assert kinds(run_until(clock, at(25))) == [("reminder", 0.5)]
    [changed] = clock.change_level(at(25), ChangeLevelRequest(level=RiskLevel.medium, actor="adviser"))
    assert changed.notice.change is ClockChange.level_changed
    assert changed.notice.previous_level is RiskLevel.high
    assert changed.snapshot.budget_working_days == 20
    # 25 days used of 20: everything still pending fires at once
    assert kinds(clock.fire_due(at(25))) == [("reminder", 0.8), ("escalated", 1.0), ("breached", 1.0)]
    state = clock.state(at(25))
    assert state.due_at == at(20)
    assert state.remaining_working_days == -5
    clock.change_level(at(25), ChangeLevelRequest(level=RiskLevel.very_high))
    assert clock.state(at(25)).due_at == at(60)
    assert not clock.state(at(25)).breached


def test_stop_closes_the_clock() -> None:
    clock = make()
    clock.pause(at(3), PauseRequest(reason="waiting"))
    [stopped] = clock.stop(at(3) + timedelta(days=2), StopRequest(outcome=SlaOutcome.cleared, actor="officer"))
    assert stopped.notice.outcome is SlaOutcome.cleared
    assert stopped.snapshot.status is ClockStatus.stopped
    state = clock.state(at(40))
    assert state.status is ClockStatus.stopped
    assert state.used_working_days == 3
    assert not state.waiting_on_applicant
    assert clock.next_milestone(at(40)) is None
    assert clock.fire_due(at(40)) == []


@pytest.mark.parametrize(
    ("apply", "message"),
    [
        (lambda c: c.extend(T0, ExtendRequest(working_days=5, reason="", actor="officer")), "reason is required"),
        (lambda c: c.extend(T0, ExtendRequest(working_days=5, reason="   ", actor="officer")), "reason is required"),
        (lambda c: c.extend(T0, ExtendRequest(working_days=-3, reason="r", actor="officer")), "from 1 to 60"),
        (lambda c: c.extend(T0, ExtendRequest(working_days=0, reason="r", actor="officer")), "from 1 to 60"),
        (lambda c: c.extend(T0, ExtendRequest(working_days=61, reason="r", actor="officer")), "from 1 to 60"),
        (lambda c: c.extend(T0, ExtendRequest(working_days=5, reason="r", actor="")), "actor is required"),
        (lambda c: c.extend(T0, ExtendRequest(working_days=5, reason="r" * 2001, actor="o")), "longer than"),
        (lambda c: c.pause(T0, PauseRequest(reason="")), "reason is required"),
        (lambda c: c.resume(T0, ResumeRequest()), "not paused"),
        (lambda c: c.change_level(T0, ChangeLevelRequest(level=RiskLevel.medium)), "already medium"),
        (lambda c: c.change_level(T0, ChangeLevelRequest(level=RiskLevel.low)), "no appraisal budget"),
        (lambda c: c.stop(T0, StopRequest(outcome="maybe")), "unknown outcome"),  # type: ignore[arg-type]
    ],
)
def test_bad_requests_are_refused_and_change_nothing(apply, message: str) -> None:
    clock = make()
    before = clock.state(T0)
    with pytest.raises(SlaRequestError, match=message):
        apply(clock)
    assert clock.state(T0) == before
    assert clock.seq == 0


def test_the_state_machine_refuses_what_its_state_forbids() -> None:
    clock = make()
    clock.pause(T0, PauseRequest(reason="waiting"))
    with pytest.raises(SlaRequestError, match="already waiting"):
        clock.check_pause(PauseRequest(reason="again"))
    clock.stop(at(1), StopRequest(outcome=SlaOutcome.withdrawn))
    for check, request in [
        (clock.check_stop, StopRequest(outcome=SlaOutcome.cleared)),
        (clock.check_extend, ExtendRequest(working_days=1, reason="r", actor="a")),
        (clock.check_resume, ResumeRequest()),
        (clock.check_change_level, ChangeLevelRequest(level=RiskLevel.high)),
    ]:
        with pytest.raises(SlaRequestError, match="stopped"):
            check(request)


def test_inputs_that_cannot_start_a_clock() -> None:
    with pytest.raises(SlaInputError, match="no appraisal budget"):
        make("low")
    data = clock_data(T0, calendar=CAL)
    data.programme = data.programme.model_copy(update={"calendar": "other"})
    with pytest.raises(SlaInputError, match="runs on calendar 'other', not 'test'"):
        SlaClock("x", data)


def test_time_to_grant_target_and_projection() -> None:
    clock = make(call_closes_at=datetime(2026, 7, 15, tzinfo=UTC))
    state = clock.state(T0)
    assert state.time_to_grant_due_at == datetime(2027, 3, 15, tzinfo=UTC)
    assert state.time_to_grant_at_risk
    assert state.projected_breach
    relaxed = make(call_closes_at=datetime(2027, 1, 15, tzinfo=UTC))
    assert not relaxed.state(T0).time_to_grant_at_risk
    assert not relaxed.state(T0).projected_breach


def test_projected_breach_once_the_last_reminder_is_due() -> None:
    clock = make()
    run_until(clock, at(15))
    assert not clock.state(at(15)).projected_breach
    run_until(clock, at(16))
    assert clock.state(at(16)).projected_breach


def test_every_notice_becomes_a_registered_event_and_a_read_model_row() -> None:
    clock = make()
    records = clock.start(T0)
    records += clock.pause(at(1), PauseRequest(reason="waiting", actor="officer"))
    records += clock.resume(at(1) + timedelta(days=3), ResumeRequest(actor="applicant", note="answered"))
    records += clock.extend(at(2), ExtendRequest(working_days=2, reason="r", actor="officer"))
    records += clock.change_level(at(2), ChangeLevelRequest(level=RiskLevel.high, actor="adviser", reason="new hit"))
    records += run_until(clock, T0 + timedelta(days=120))
    records += clock.stop(T0 + timedelta(days=121), StopRequest(outcome=SlaOutcome.not_fundable, actor="officer"))
    types = []
    for record in records:
        event = build_event(record)
        assert registered()[(event.event_type, 1)] is type(event)
        assert event.clock_id == clock.id
        assert event.at == record.notice.at
        row = read_model_row(record)
        assert row["last_seq"] == record.notice.seq
        assert row["due_at"] == record.snapshot.due_at
        types.append(event.event_type)
    assert types == [
        "sla.clock_changed",
        "sla.clock_changed",
        "sla.clock_changed",
        "sla.extended",
        "sla.clock_changed",
        "sla.reminder",
        "sla.reminder",
        "sla.escalated",
        "sla.breached",
        "sla.clock_changed",
    ]
    extended = build_event(records[3])
    assert extended.reason == "r"
    assert extended.actor == "officer"
    assert extended.working_days == 2
    assert build_event(records[-1]).outcome == "not_fundable"
