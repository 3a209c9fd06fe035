"""Replay tests: recorded histories of `SlaClockWorkflow` must replay on the current code, so a change
that breaks determinism (commands added, removed or reordered for the same history) fails the suite.

The histories in `histories/` were recorded from the scenarios below on the time-skipping server.
A deliberate, versioned change of the workflow (with `workflow.patched`) keeps them replaying; to add a
history for a new scenario, run with RSC_RECORD_SLA_HISTORIES=1 and commit the file. Never re-record an
existing history to make a failing replay pass: running clocks have exactly that history."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.contracts import (
    WORKFLOW_NAME,
    ChangeLevelRequest,
    ExtendRequest,
    PauseRequest,
    ResumeRequest,
    SlaClockInput,
    SlaOutcome,
    SlaState,
    StopRequest,
)
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from rsc_common.temporal import data_converter, workflow_runner
from tests.appraisal.unit.sla.support import Recorder, clock_data, make_calendar, sla_worker, time_skipping

HISTORIES = Path(__file__).parent / "histories"
RECORD = os.environ.get("RSC_RECORD_SLA_HISTORIES") == "1"


async def full_lifecycle(env: WorkflowEnvironment, task_queue: str, recorder: Recorder) -> WorkflowHistory:
    """Start, reminder, pause (update) / resume (signal), refused and invalid requests, extension, level
    change, escalation and breach, stop."""
    t0 = await env.get_current_time()
    handle = await env.client.start_workflow(
        SlaClockWorkflow.run,
        clock_data(t0, "high", calendar=make_calendar()),
        id="sla-replay-full",
        task_queue=task_queue,
    )
    await env.sleep(timedelta(days=30))
    await recorder.wait_for(lambda names: "reminder 0.5" in names)
    await handle.execute_update(SlaClockWorkflow.pause, PauseRequest(reason="information requested", actor="officer"))
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(SlaClockWorkflow.pause, PauseRequest(reason="again"))
    await env.sleep(timedelta(days=10))
    await handle.signal(SlaClockWorkflow.signal_resume, ResumeRequest(actor="applicant", note="answered"))
    await handle.signal(SlaClockWorkflow.signal_extend, ExtendRequest(working_days=0, reason="r", actor="o"))
    await recorder.wait_for(lambda names: "resumed" in names)
    await handle.execute_update(
        SlaClockWorkflow.extend, ExtendRequest(working_days=5, reason="partner evidence pending", actor="officer")
    )
    await handle.execute_update(
        SlaClockWorkflow.change_level, ChangeLevelRequest(RiskLevel.very_high, actor="adviser", reason="new list hit")
    )
    await env.sleep(timedelta(days=120))
    await recorder.wait_for(lambda names: "breached 1" in names)
    await handle.query(SlaClockWorkflow.state)
    await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared_with_safeguards, actor="officer"))
    await handle.result()
    return await handle.fetch_history()


async def refused_input(env: WorkflowEnvironment, task_queue: str, recorder: Recorder) -> WorkflowHistory:
    """An input that cannot start a clock fails the workflow."""
    handle = await env.client.start_workflow(
        SlaClockWorkflow.run,
        clock_data(await env.get_current_time(), "low", calendar=make_calendar()),
        id="sla-replay-refused",
        task_queue=task_queue,
    )
    with pytest.raises(Exception, match="Workflow execution failed"):
        await handle.result()
    return await handle.fetch_history()


SCENARIOS: dict[str, Callable[[WorkflowEnvironment, str, Recorder], Awaitable[WorkflowHistory]]] = {
    "sla_clock_full_lifecycle": full_lifecycle,
    "sla_clock_refused_input": refused_input,
}


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows) or [SlaClockWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_recorded_histories_replay_on_the_current_code(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    if RECORD:
        recorder = Recorder()
        async with time_skipping() as env, sla_worker(env.client, recorder.record) as task_queue:
            history = await SCENARIOS[name](env, task_queue, recorder)
        path.write_text(history.to_json())
    assert path.exists(), f"{path} is missing: record it with RSC_RECORD_SLA_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    assert len(history.events) >= 5
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


async def test_a_fresh_history_replays() -> None:
    """The same scenario recorded now: catches non-determinism inside one code version (e.g. iteration order)."""
    recorder = Recorder()
    async with time_skipping() as env, sla_worker(env.client, recorder.record) as task_queue:
        history = await full_lifecycle(env, task_queue, recorder)
    await replayer().replay_workflow(history)


@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class WithoutStartNotice(SlaClockWorkflow):
    """A careless change: the clock no longer records its start."""

    @workflow.init
    def __init__(self, data: SlaClockInput) -> None:
        super().__init__(data)
        self._pending.clear()

    @workflow.run
    async def run(self, data: SlaClockInput) -> SlaState:
        return await super().run(data)


async def test_a_non_deterministic_change_fails_the_replay() -> None:
    history = WorkflowHistory.from_json("full", (HISTORIES / "sla_clock_full_lifecycle.json").read_text())
    with pytest.raises(NondeterminismError):
        await replayer(WithoutStartNotice).replay_workflow(history)
