"""Builders shared by the SLA tests: a test calendar and programme, clock inputs, a recording stand-in
for the `sla.record` activity and the time-skipping test server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.calendars import Holiday, WorkingCalendar
from rsc_appraisal.sla.config import ProgrammeSla
from rsc_appraisal.sla.contracts import RECORD_ACTIVITY, RecordSlaInput, RecordSlaResult, SlaClockInput
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from rsc_common.temporal import workflow_runner
from tests.support.temporal import server_binary, time_skipping  # noqa: F401 (re-exported)


def make_calendar(*holidays: date, timezone: str = "UTC") -> WorkingCalendar:
    return WorkingCalendar(
        id="test",
        version="1",
        title="test calendar",
        timezone=timezone,
        holidays=tuple(Holiday(date=d, name=f"holiday {i}") for i, d in enumerate(holidays)),
    )


def programme(**changes: object) -> ProgrammeSla:
    values: dict[str, object] = {
        "programme": "p",
        "config_version": "1",
        "title": "p",
        "calendar": "test",
        "appraisal_budget_working_days": {"medium": 20, "high": 40, "very_high": 60},
        "reminders": (0.5, 0.8),
    }
    values.update(changes)
    return ProgrammeSla.model_validate(values)


def clock_data(
    started_at: datetime,
    level: str = "medium",
    *,
    calendar: WorkingCalendar | None = None,
    call_closes_at: datetime | None = None,
    proposal_id: uuid.UUID | None = None,
    **changes: object,
) -> SlaClockInput:
    return SlaClockInput(
        case_ref="CASE-1",
        proposal_id=proposal_id or uuid.uuid4(),
        version=1,
        level=RiskLevel(level),
        programme=programme(**changes),
        calendar=calendar or make_calendar(),
        started_at=started_at,
        call_closes_at=call_closes_at,
    )


WAIT_SECONDS = 30


class Recorder:
    """Stands in for `SlaActivities.record` (same activity name): keeps what the workflow records.
    `hold` makes the activity wait for the test before it records a notice of that kind."""

    def __init__(self) -> None:
        self.items: list[RecordSlaInput] = []
        self.attempts: list[str] = []  # every call, before any hold: which records are in flight
        self.hold: dict[str, asyncio.Event] = {}
        self._recorded = asyncio.Event()

    @activity.defn(name=RECORD_ACTIVITY)
    async def record(self, data: RecordSlaInput) -> RecordSlaResult:
        name = data.notice.change.value if data.notice.change else data.notice.kind.value
        self.attempts.append(name)
        if name in self.hold:
            await self.hold[name].wait()
        # Like the real activity (ledger keyed by notice key): a repeated key is an earlier attempt's
        # notice, e.g. a cancellation arriving before the workflow saw the activity complete.
        if any(item.notice.key == data.notice.key for item in self.items):
            return RecordSlaResult(key=data.notice.key, emitted=False)
        self.items.append(data)
        self._recorded.set()
        return RecordSlaResult(key=data.notice.key, emitted=True)

    def names(self) -> list[str]:
        """`started`, `reminder 0.5`, `extended`, `breached 1`, ... in the order recorded."""
        out = []
        for item in self.items:
            notice = item.notice
            name = notice.change.value if notice.change else notice.kind.value
            out.append(f"{name} {notice.fraction:g}" if notice.fraction is not None else name)
        return out

    def one(self, name: str) -> RecordSlaInput:
        [found] = [item for item, n in zip(self.items, self.names(), strict=True) if n == name]
        return found

    async def wait_for(self, predicate: Callable[[list[str]], bool]) -> list[str]:
        """Wait (at most WAIT_SECONDS) until what was recorded satisfies `predicate`."""
        async with asyncio.timeout(WAIT_SECONDS):
            while not predicate(self.names()):
                self._recorded.clear()
                await self._recorded.wait()
        return self.names()


async def eventually(predicate: Callable[[], bool]) -> bool:
    """Poll the database without blocking the event loop (the test's Temporal worker runs on it)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not await asyncio.to_thread(predicate):  # noqa: ASYNC110 - a database table has nothing to await
            await asyncio.sleep(0.1)
    return True


@asynccontextmanager
async def sla_worker(client: Client, *activities: Callable, **options: object) -> AsyncIterator[str]:
    """A fresh worker on a fresh task queue; yields the queue."""
    task_queue = f"test-sla-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[SlaClockWorkflow],
        activities=list(activities),
        workflow_runner=workflow_runner(),
        **options,
    ):
        yield task_queue
