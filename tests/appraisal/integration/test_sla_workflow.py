"""`SlaClockWorkflow` on the time-skipping test server: weeks and months of simulated time in seconds.

Each test runs a fresh worker on a fresh task queue; the `sla.record` activity is a recorder, so the
tests see exactly which notices the workflow records, when, and with which snapshot. Expected instants
come from the pure calendar functions (the tests start at the server's current time)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.calendars import add_working_days, add_working_days_to_date
from rsc_appraisal.sla.contracts import (
    ChangeLevelRequest,
    ClockStatus,
    ExtendRequest,
    PauseRequest,
    ResumeRequest,
    SlaClockInput,
    SlaOutcome,
    SlaState,
    StopRequest,
)
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from tests.appraisal.unit.sla.support import Recorder, clock_data, make_calendar, sla_worker, time_skipping

TOLERANCE = timedelta(seconds=2)


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping() as environment:
        yield environment


async def start(env: WorkflowEnvironment, task_queue: str, data: SlaClockInput) -> WorkflowHandle:
    return await env.client.start_workflow(
        SlaClockWorkflow.run, data, id=f"sla-test-{uuid.uuid4()}", task_queue=task_queue
    )


async def advance_to(env: WorkflowEnvironment, instant: datetime) -> None:
    now = await env.get_current_time()
    if instant > now:
        await env.sleep(instant - now)


def close(actual: datetime, expected: datetime) -> bool:
    return abs(actual - expected) <= TOLERANCE


async def test_reminders_escalation_and_breach_over_weeks_of_simulated_time(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        holiday = add_working_days_to_date(t0.date(), 3, make_calendar())
        calendar = make_calendar(holiday)
        handle = await start(env, task_queue, clock_data(t0, "medium", calendar=calendar))
        await recorder.wait_for(lambda names: names == ["started"])

        await env.sleep(timedelta(days=45))
        names = await recorder.wait_for(lambda names: "breached 1" in names)
        assert names == ["started", "reminder 0.5", "reminder 0.8", "escalated 1", "breached 1"]
        due = add_working_days(t0, 20, calendar)
        assert due == add_working_days(t0, 21, make_calendar())  # the holiday moved it by one working day
        for name, days in [("reminder 0.5", 10), ("reminder 0.8", 16), ("escalated 1", 20), ("breached 1", 20)]:
            assert close(recorder.one(name).notice.at, add_working_days(t0, days, calendar)), name
        escalated = recorder.one("escalated 1")
        assert escalated.notice.to_role == "appraisal_supervisor"
        assert escalated.snapshot.escalated_at is not None
        breached = recorder.one("breached 1").snapshot
        assert breached.breached
        assert breached.projected_breach
        assert breached.due_at == due

        state = await handle.query(SlaClockWorkflow.state, await env.get_current_time())
        assert state.breached
        assert close(state.breached_at, due)
        assert state.escalated_to == "appraisal_supervisor"
        assert state.used_working_days > 20
        assert state.remaining_working_days < 0
        assert state.next_milestone is None
        assert [r.fraction for r in state.reminders_sent] == [0.5, 0.8]

        stopped = await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared, actor="officer"))
        assert stopped.status is ClockStatus.stopped
        assert stopped.outcome is SlaOutcome.cleared
        result = await handle.result()
    assert result.status is ClockStatus.stopped
    assert result.outcome is SlaOutcome.cleared
    assert recorder.names()[-1] == "stopped"
    assert recorder.items[-1].notice.outcome is SlaOutcome.cleared


async def test_a_very_high_level_clock_runs_for_months_with_the_time_to_grant_target(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        calendar = make_calendar()
        call_closed = t0 - timedelta(days=200)  # its 8 months end before 60 working days from now
        handle = await start(
            env, task_queue, clock_data(t0, "very_high", calendar=calendar, call_closes_at=call_closed)
        )
        state = await handle.query(SlaClockWorkflow.state, await env.get_current_time())
        assert state.due_at == add_working_days(t0, 60, calendar)
        assert state.time_to_grant_at_risk
        assert state.projected_breach
        assert not state.breached
        assert state.time_to_grant_due_at is not None
        assert state.time_to_grant_due_at < state.due_at

        await env.sleep(timedelta(days=100))
        await recorder.wait_for(lambda names: "breached 1" in names)
        assert close(recorder.one("breached 1").notice.at, add_working_days(t0, 60, calendar))
        assert close(recorder.one("reminder 0.8").notice.at, add_working_days(t0, 48, calendar))
        await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.not_fundable))
        await handle.result()


async def test_a_pause_stops_the_clock_and_a_resume_continues_it(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    calendar = make_calendar()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        handle = await start(env, task_queue, clock_data(t0, "medium", calendar=calendar))
        await advance_to(env, add_working_days(t0, 5, calendar))

        paused = await handle.execute_update(
            SlaClockWorkflow.pause, PauseRequest(reason="information requested", actor="officer", request_ref="R-1")
        )
        assert paused.paused
        assert paused.status is ClockStatus.paused
        assert paused.waiting_on_applicant
        assert recorder.names() == ["started", "paused"]
        assert recorder.one("paused").notice.reason == "information requested"
        used_at_pause = paused.used_working_days
        assert 5 <= used_at_pause < 5.01

        await env.sleep(timedelta(days=40))  # longer than the whole budget: nothing may fire
        await asyncio.sleep(0.5)
        assert recorder.names() == ["started", "paused"]
        state = await handle.query(SlaClockWorkflow.state, await env.get_current_time())
        assert state.paused
        assert state.used_working_days == used_at_pause
        assert not state.breached
        assert state.paused_total_seconds >= 40 * 86400
        assert state.paused_working_days >= 28

        resumed = await handle.execute_update(SlaClockWorkflow.resume, ResumeRequest(actor="applicant"))
        resumed_at = resumed.pauses[0].until
        assert not resumed.paused
        assert resumed_at is not None
        assert close(resumed.due_at, add_working_days(resumed_at, 20 - used_at_pause, calendar))

        await env.sleep(timedelta(days=40))
        await recorder.wait_for(lambda names: "breached 1" in names)
        assert recorder.names() == [
            "started",
            "paused",
            "resumed",
            "reminder 0.5",
            "reminder 0.8",
            "escalated 1",
            "breached 1",
        ]
        assert close(recorder.one("reminder 0.5").notice.at, add_working_days(resumed_at, 10 - used_at_pause, calendar))
        await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared_with_safeguards))
        await handle.result()


async def test_a_programme_that_does_not_pause_keeps_the_clock_running(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        handle = await start(env, task_queue, clock_data(t0, pause_while_waiting_on_applicant=False))
        state = await handle.execute_update(SlaClockWorkflow.pause, PauseRequest(reason="information requested"))
        assert state.waiting_on_applicant
        assert not state.paused
        await env.sleep(timedelta(days=45))
        await recorder.wait_for(lambda names: "breached 1" in names)
        assert "paused" not in recorder.names()
        await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared))
        await handle.result()


async def test_an_extension_moves_the_due_date_and_emits_the_audit_event(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    calendar = make_calendar()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        handle = await start(env, task_queue, clock_data(t0, calendar=calendar))
        await advance_to(env, add_working_days(t0, 12, calendar))
        await recorder.wait_for(lambda names: "reminder 0.5" in names)

        state = await handle.execute_update(
            SlaClockWorkflow.extend, ExtendRequest(working_days=10, reason="partner evidence pending", actor="officer")
        )
        assert state.due_at == add_working_days(t0, 30, calendar)
        assert state.total_working_days == 30
        assert [(e.working_days, e.reason, e.actor) for e in state.extensions] == [
            (10, "partner evidence pending", "officer")
        ]
        extended = recorder.one("extended")  # in the outbox before the update answered
        assert extended.notice.reason == "partner evidence pending"
        assert extended.notice.actor == "officer"
        assert extended.notice.previous_due_at == add_working_days(t0, 20, calendar)
        assert extended.snapshot.due_at == state.due_at

        await env.sleep(timedelta(days=50))
        await recorder.wait_for(lambda names: "breached 1" in names)
        after = recorder.names()[recorder.names().index("extended") + 1 :]
        # 12 of 30 days used: the 50 % reminder comes again (a new round), then 80 % and the breach
        assert after == ["reminder 0.5", "reminder 0.8", "escalated 1", "breached 1"]
        assert close(recorder.items[-1].notice.at, add_working_days(t0, 30, calendar))
        await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared))
        await handle.result()


async def test_a_level_change_recomputes_the_budget(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    calendar = make_calendar()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        handle = await start(env, task_queue, clock_data(t0, "high", calendar=calendar))
        state = await handle.query(SlaClockWorkflow.state, await env.get_current_time())
        assert state.budget_working_days == 40
        assert state.due_at == add_working_days(t0, 40, calendar)
        await advance_to(env, add_working_days(t0, 25, calendar))
        await recorder.wait_for(lambda names: "reminder 0.5" in names)

        state = await handle.execute_update(
            SlaClockWorkflow.change_level, ChangeLevelRequest(RiskLevel.medium, actor="adviser", reason="hit cleared")
        )
        assert state.level is RiskLevel.medium
        assert state.budget_working_days == 20
        assert state.due_at == add_working_days(t0, 20, calendar)
        assert state.remaining_working_days < 0
        # 25 of 20 days used: what was pending fires at once
        names = await recorder.wait_for(lambda names: "breached 1" in names)
        assert names == ["started", "reminder 0.5", "level_changed", "reminder 0.8", "escalated 1", "breached 1"]
        assert recorder.one("level_changed").notice.previous_level is RiskLevel.high

        state = await handle.execute_update(SlaClockWorkflow.change_level, ChangeLevelRequest(RiskLevel.very_high))
        assert state.due_at == add_working_days(t0, 60, calendar)
        assert not state.breached
        await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.referred))
        await handle.result()


async def rejected(update: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await update  # type: ignore[misc]
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "SlaRequestRejected"
    return cause.message


async def test_validators_reject_bad_updates_before_anything_happens(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        handle = await start(env, task_queue, clock_data(t0))
        before = await handle.query(SlaClockWorkflow.state, await env.get_current_time())

        extend = SlaClockWorkflow.extend
        assert "reason is required" in await rejected(
            handle.execute_update(extend, ExtendRequest(working_days=5, reason="", actor="officer"))
        )
        assert "from 1 to 60" in await rejected(
            handle.execute_update(extend, ExtendRequest(working_days=-5, reason="r", actor="officer"))
        )
        assert "actor is required" in await rejected(
            handle.execute_update(extend, ExtendRequest(working_days=5, reason="r", actor=" "))
        )
        assert "not paused" in await rejected(handle.execute_update(SlaClockWorkflow.resume, ResumeRequest()))
        assert "reason is required" in await rejected(
            handle.execute_update(SlaClockWorkflow.pause, PauseRequest(reason=""))
        )
        assert "already medium" in await rejected(
            handle.execute_update(SlaClockWorkflow.change_level, ChangeLevelRequest(RiskLevel.medium))
        )
        assert "no appraisal budget for level 'low'" in await rejected(
            handle.execute_update(SlaClockWorkflow.change_level, ChangeLevelRequest(RiskLevel.low))
        )
        after = await handle.query(SlaClockWorkflow.state, await env.get_current_time())
        assert after.due_at == before.due_at
        assert after.extensions == []
        assert after.level is RiskLevel.medium
        assert recorder.names() == ["started"]
        # a refused update leaves no trace in the history either
        history = await handle.fetch_history()
        assert not [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]

        # stop twice: the second is refused while the first is still recording its event
        recorder.hold["stopped"] = asyncio.Event()
        first = await handle.start_update(
            SlaClockWorkflow.stop, StopRequest(SlaOutcome.withdrawn), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        assert "the clock is stopped (outcome withdrawn)" in await rejected(
            handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared))
        )
        recorder.hold["stopped"].set()
        assert (await first.result()).outcome is SlaOutcome.withdrawn
        assert (await handle.result()).outcome is SlaOutcome.withdrawn
    assert recorder.names() == ["started", "stopped"]


async def test_invalid_signals_change_nothing_and_are_listed(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        t0 = await env.get_current_time()
        handle = await start(env, task_queue, clock_data(t0))
        await handle.signal(SlaClockWorkflow.signal_extend, ExtendRequest(working_days=0, reason="r", actor="o"))
        await handle.signal(SlaClockWorkflow.signal_pause, PauseRequest(reason="waiting", actor="officer"))
        await handle.signal(SlaClockWorkflow.signal_pause, PauseRequest(reason="waiting again"))
        await recorder.wait_for(lambda names: names == ["started", "paused"])
        state = await handle.query(SlaClockWorkflow.state, await env.get_current_time())
        assert state.paused
        assert state.extensions == []
        assert [(r.signal, r.error.split(" since")[0]) for r in state.rejected_signals] == [
            ("signal_extend", "working_days must be a whole number from 1 to 60"),
            ("signal_pause", "already waiting on the applicant"),
        ]
        await handle.signal(SlaClockWorkflow.signal_resume, ResumeRequest())
        await handle.signal(SlaClockWorkflow.signal_extend, ExtendRequest(working_days=3, reason="r", actor="o"))
        await handle.signal(SlaClockWorkflow.signal_change_level, ChangeLevelRequest(RiskLevel.high))
        await handle.signal(SlaClockWorkflow.signal_stop, StopRequest(SlaOutcome.superseded))
        result: SlaState = await handle.result()
    assert recorder.names() == ["started", "paused", "resumed", "extended", "level_changed", "stopped"]
    assert result.total_working_days == 43
    assert result.outcome is SlaOutcome.superseded


async def test_an_input_that_cannot_start_a_clock_fails_the_workflow(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        handle = await start(env, task_queue, clock_data(await env.get_current_time(), "low"))
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "InvalidSlaClockInput"
    assert "no appraisal budget for level 'low'" in cause.message
    assert recorder.items == []


async def test_a_cancelled_clock_records_its_stop(env: WorkflowEnvironment) -> None:
    recorder = Recorder()
    async with sla_worker(env.client, recorder.record) as task_queue:
        handle = await start(env, task_queue, clock_data(await env.get_current_time()))
        await recorder.wait_for(lambda names: names == ["started"])
        await handle.cancel()
        await recorder.wait_for(lambda names: names == ["started", "stopped"])
    assert recorder.items[-1].notice.outcome is SlaOutcome.cancelled
    assert recorder.items[-1].snapshot.status is ClockStatus.stopped


async def test_a_cancel_while_a_notice_is_being_recorded_still_stops_the_clock(env: WorkflowEnvironment) -> None:
    """Regression: the abandoned record activity resolved as "cancelled" and the workflow took that for a
    refused notice, so the cancellation was swallowed and the clock ran on (a flaky CI failure)."""
    recorder = Recorder()
    recorder.hold["started"] = asyncio.Event()
    async with sla_worker(env.client, recorder.record) as task_queue:
        handle = await start(env, task_queue, clock_data(await env.get_current_time()))
        async with asyncio.timeout(30):
            while "started" not in recorder.attempts:  # noqa: ASYNC110 - the recorder has no event for this
                await asyncio.sleep(0.05)
        await handle.cancel()  # the "started" record is in flight, held
        recorder.hold["started"].set()
        await recorder.wait_for(lambda names: names == ["started", "stopped"])
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        state = await handle.query(SlaClockWorkflow.state)
    assert recorder.items[-1].notice.outcome is SlaOutcome.cancelled
    assert state.status is ClockStatus.stopped
    assert not state.warnings  # the in-flight notice was recorded (again, a no-op), not given up
    assert recorder.attempts.count("started") == 2
