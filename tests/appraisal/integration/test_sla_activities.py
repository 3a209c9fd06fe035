"""The SLA clock against a real (throw-away, migrated) appraisal database: the `sla.record` activity
writes each outbox event and read-model row exactly once — called twice, concurrently, or retried by
Temporal after a crash that followed its commit — and the appraisal worker as `rsc-appraisal worker`
builds it runs clocks on the real Temporal dev server."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, text
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import ActivityEnvironment

from rsc_appraisal.app import MIGRATIONS
from rsc_appraisal.cli import temporal_worker
from rsc_appraisal.settings import AppraisalSettings
from rsc_appraisal.sla.activities import SlaActivities
from rsc_appraisal.sla.calendars import add_working_days
from rsc_appraisal.sla.client import clock_input, current_state, start_sla_clock
from rsc_appraisal.sla.clock import SlaClock
from rsc_appraisal.sla.contracts import (
    RECORD_ACTIVITY,
    ClockStatus,
    ExtendRequest,
    PauseRequest,
    RecordSlaInput,
    RecordSlaResult,
    ResumeRequest,
    SlaClockInput,
    SlaOutcome,
    SlaState,
    StopRequest,
    sla_clock_id,
)
from rsc_appraisal.sla.models import SlaClockEventRow, SlaClockRow
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from rsc_common.settings import TemporalSettings
from rsc_common.temporal import connect
from tests.appraisal.unit.sla.support import clock_data, eventually, make_calendar, sla_worker, time_skipping
from tests.support.databases import migrated_database
from tests.support.servers import TEMPORAL_ADDRESS

SLA_TABLES = {"sla_clock", "sla_clock_event"}


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with migrated_database(MIGRATIONS, prefix="rsc_test_sla") as url:
        yield url


@pytest.fixture(scope="module")
def engine(database: str) -> Iterator[Engine]:
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def outbox(engine: Engine, clock_id: str) -> list[dict[str, Any]]:
    return rows(
        engine,
        "SELECT id, event_type, key, payload FROM outbox_event"
        " WHERE payload->'data'->>'clock_id' = :c ORDER BY created_at",
        c=clock_id,
    )


def notices(started_at: datetime) -> tuple[SlaClock, list[RecordSlaInput]]:
    clock = SlaClock(f"sla-test-{uuid.uuid4()}", clock_data(started_at, calendar=make_calendar()))
    records = clock.start(started_at)
    records += clock.fire_due(add_working_days(started_at, 10, clock.calendar))
    return clock, records


def test_the_migration_matches_the_models(engine: Engine) -> None:
    metadata = MetaData()
    for table in (SlaClockRow.__table__, SlaClockEventRow.__table__):
        table.to_metadata(metadata)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diffs if any(name in str(d) for name in SLA_TABLES)]
    assert ours == []


def test_record_writes_the_event_and_the_read_model_row_once(engine: Engine) -> None:
    clock, [started, reminder] = notices(datetime(2027, 3, 1, 9, tzinfo=UTC))
    record = SlaActivities(engine).record
    env = ActivityEnvironment()

    first: RecordSlaResult = env.run(record, started)
    assert first.emitted
    assert first.event_id is not None
    again: RecordSlaResult = env.run(record, started)
    assert not again.emitted
    assert again.key == first.key

    [event] = outbox(engine, clock.id)
    assert event["id"] == first.event_id
    assert event["event_type"] == "sla.clock_changed"
    assert event["key"] == str(started.snapshot.proposal_id)  # the proposal's partition, with its other events
    assert event["payload"]["data"]["change"] == "started"
    [ledger] = rows(engine, "SELECT * FROM sla_clock_event WHERE clock_id = :c", c=clock.id)
    assert ledger["key"] == started.notice.key
    assert ledger["event_id"] == first.event_id

    assert env.run(record, reminder).emitted
    assert [e["event_type"] for e in outbox(engine, clock.id)] == ["sla.clock_changed", "sla.reminder"]
    [row] = rows(engine, "SELECT * FROM sla_clock WHERE clock_id = :c", c=clock.id)
    assert row["last_seq"] == 2
    assert row["status"] == "running"
    assert row["level"] == "medium"
    assert row["used_working_days"] == 10
    assert row["remaining_working_days"] == 10
    assert row["due_at"] == reminder.snapshot.due_at
    assert row["case_ref"] == "CASE-1"


def test_an_older_notice_never_overwrites_a_newer_row(engine: Engine) -> None:
    clock, [started, reminder] = notices(datetime(2027, 3, 1, 9, tzinfo=UTC))
    env, record = ActivityEnvironment(), SlaActivities(engine).record
    env.run(record, reminder)
    env.run(record, started)  # arrives late (e.g. recorded through another path): its event still counts
    [row] = rows(engine, "SELECT last_seq, used_working_days FROM sla_clock WHERE clock_id = :c", c=clock.id)
    assert row == {"last_seq": 2, "used_working_days": 10}
    assert len(outbox(engine, clock.id)) == 2


def test_concurrent_attempts_emit_once(engine: Engine) -> None:
    clock, [started, _] = notices(datetime(2027, 3, 1, 9, tzinfo=UTC))
    record = SlaActivities(engine).record
    barrier = threading.Barrier(4)

    def attempt() -> bool:
        barrier.wait()
        return ActivityEnvironment().run(record, started).emitted

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: attempt(), range(4)))
    assert sorted(results) == [False, False, False, True]
    assert len(outbox(engine, clock.id)) == 1


class CrashAfterCommit:
    """`sla.record` that dies after the real activity committed, on every first attempt."""

    def __init__(self, engine: Engine) -> None:
        self.inner = SlaActivities(engine)
        self.attempts: Counter[str] = Counter()

    @activity.defn(name=RECORD_ACTIVITY)
    def record(self, data: RecordSlaInput) -> RecordSlaResult:
        result = self.inner.record(data)
        self.attempts[data.notice.key] += 1
        if activity.info().attempt == 1:
            raise RuntimeError("the worker died after the commit, before reporting the result")
        return result


async def test_retried_activities_never_emit_twice(engine: Engine) -> None:
    flaky = CrashAfterCommit(engine)
    async with time_skipping() as env:
        executor = ThreadPoolExecutor(4)
        async with sla_worker(env.client, flaky.record, activity_executor=executor) as task_queue:
            t0 = await env.get_current_time()
            clock_id = f"sla-test-{uuid.uuid4()}"
            handle = await env.client.start_workflow(
                SlaClockWorkflow.run, clock_data(t0, calendar=make_calendar()), id=clock_id, task_queue=task_queue
            )
            await handle.execute_update(SlaClockWorkflow.pause, PauseRequest(reason="information requested"))
            await handle.execute_update(SlaClockWorkflow.resume, ResumeRequest(actor="applicant"))
            await handle.execute_update(
                SlaClockWorkflow.extend, ExtendRequest(working_days=2, reason="late evidence", actor="officer")
            )
            await env.sleep(timedelta(days=45))
            assert await eventually(lambda: any(e["event_type"] == "sla.breached" for e in outbox(engine, clock_id)))
            await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared, actor="officer"))
            await handle.result()
        executor.shutdown()

    events = outbox(engine, clock_id)
    assert [e["event_type"] for e in events] == [
        "sla.clock_changed",
        "sla.clock_changed",
        "sla.clock_changed",
        "sla.extended",
        "sla.reminder",
        "sla.reminder",
        "sla.escalated",
        "sla.breached",
        "sla.clock_changed",
    ]
    ledger = rows(engine, "SELECT key, event_id FROM sla_clock_event WHERE clock_id = :c", c=clock_id)
    assert len(ledger) == len(events)
    assert {r["event_id"] for r in ledger} == {e["id"] for e in events}
    assert all(count == 2 for count in flaky.attempts.values())  # every notice was attempted twice
    assert len(flaky.attempts) == len(events)
    [row] = rows(engine, "SELECT * FROM sla_clock WHERE clock_id = :c", c=clock_id)
    assert row["status"] == "stopped"
    assert row["outcome"] == "cleared"
    assert row["breached"]
    assert row["extension_working_days"] == 2
    assert row["last_seq"] == len(events)


async def test_the_appraisal_worker_runs_clocks_on_the_dev_server(database: str, engine: Engine) -> None:
    settings = AppraisalSettings(
        database_url=database, temporal=TemporalSettings(address=TEMPORAL_ADDRESS, task_queue=f"test-{uuid.uuid4()}")
    )
    client = await connect(settings.temporal)
    proposal_id = uuid.uuid4()
    # opened 60 days ago with the shipped configuration: the 20-working-day budget is long gone
    data = clock_input(
        case_ref="CASE-DEV",
        proposal_id=proposal_id,
        version=1,
        level="medium",
        started_at=datetime.now(UTC) - timedelta(days=60),
    )
    clock_id = sla_clock_id(proposal_id, 1)
    async with temporal_worker(settings, engine)(client):
        handle = await start_sla_clock(client, data, task_queue=settings.temporal.task_queue)
        try:
            result = await check_running_clock(client, handle, data, engine, settings.temporal.task_queue)
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test failed")  # leave nothing running on the shared dev server
    assert result.status is ClockStatus.stopped
    [row] = rows(engine, "SELECT status, outcome FROM sla_clock WHERE clock_id = :c", c=clock_id)
    assert row == {"status": "stopped", "outcome": "cleared_with_safeguards"}


async def check_running_clock(
    client: Client, handle: WorkflowHandle, data: SlaClockInput, engine: Engine, task_queue: str
) -> SlaState:
    clock_id = handle.id
    again = await start_sla_clock(client, data, task_queue=task_queue)
    assert handle.id == again.id == clock_id
    assert (await handle.describe()).run_id == (await again.describe()).run_id  # no second clock

    assert await eventually(lambda: len(outbox(engine, clock_id)) == 5)
    assert [e["event_type"] for e in outbox(engine, clock_id)] == [
        "sla.clock_changed",
        "sla.reminder",
        "sla.reminder",
        "sla.escalated",
        "sla.breached",
    ]
    overdue = rows(
        engine,
        "SELECT clock_id FROM sla_clock WHERE status <> 'stopped' AND due_at < now() AND clock_id = :c",
        c=clock_id,
    )
    assert overdue == [{"clock_id": clock_id}]
    state = await current_state(handle)
    assert state.breached
    assert state.used_working_days > 20
    assert state.config_version == "2026.1"
    assert "calendar 'default' is example data" in state.warnings
    await handle.execute_update(SlaClockWorkflow.stop, StopRequest(SlaOutcome.cleared_with_safeguards))
    return await handle.result()
