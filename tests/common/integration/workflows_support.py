"""Small workflows for the library's Temporal tests (kept apart: the workflow sandbox re-imports them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from rsc_common.telemetry import current_trace_id

SEEN_IN_ACTIVITY: dict[str, str | None] = {}


@dataclass
class GreetInput:
    name: str


@activity.defn
async def greet(data: GreetInput) -> str:
    SEEN_IN_ACTIVITY[data.name] = current_trace_id()
    return f"hello {data.name}"


@workflow.defn
class GreetWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, GreetInput(name), start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class LongTimerWorkflow:
    """Waits 30 days (a typical SLA) and reports how much workflow time passed."""

    @workflow.run
    async def run(self) -> float:
        start = workflow.now()
        await workflow.sleep(timedelta(days=30))
        return (workflow.now() - start).total_seconds()
