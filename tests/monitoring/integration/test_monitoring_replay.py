"""Replay tests: recorded histories of the grant and incident workflows must replay on the current
code, so a change that breaks determinism fails the suite (running grants last years: they have exactly
these histories). To add a history for a new scenario, run with RSC_RECORD_MONITORING_HISTORIES=1 and
commit the file; never re-record an existing one to make a failing replay pass."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlmodel import Session
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from rsc_common.auth import Principal
from rsc_common.temporal import data_converter, workflow_runner
from rsc_monitoring.app import MIGRATIONS
from rsc_monitoring.grants.contracts import WORKFLOW_NAME as GRANT_WORKFLOW
from rsc_monitoring.grants.contracts import EndGrant, GrantWorkflowInput, ItemDone
from rsc_monitoring.grants.workflow import GrantMonitoringWorkflow
from rsc_monitoring.incidents import service as incidents
from rsc_monitoring.incidents.contracts import IncidentRef
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.models import Incident
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.incidents.workflow import IncidentHandlingWorkflow
from tests.monitoring.grant_support import award
from tests.monitoring.integration.test_grant_workflow import create, grant_worker
from tests.monitoring.integration.test_incident_workflow import incident_worker
from tests.support.databases import migrated_database
from tests.support.temporal import time_skipping

HISTORIES = Path(__file__).parent / "histories"
RECORD = os.environ.get("RSC_RECORD_MONITORING_HISTORIES") == "1"
OFFICER = Principal("officer-subject", None, frozenset({"case_officer"}), None, None, None, None)


async def grant_lifecycle(env: WorkflowEnvironment, engine: Engine) -> WorkflowHistory:
    t0 = await env.get_current_time()
    grant, data = create(engine, award(t0, level="high", obligations={"SG-TRAINING": timedelta(days=30)}))
    async with grant_worker(env.client, engine) as task_queue:
        handle = await env.client.start_workflow(
            GrantMonitoringWorkflow.run, data, id=grant.workflow_id, task_queue=task_queue
        )
        await handle.query(GrantMonitoringWorkflow.pending)
        await env.sleep(timedelta(days=45))  # reminders, overdue, escalation of the obligation
        await handle.signal(GrantMonitoringWorkflow.item_done, ItemDone(item="attestation", item_id="1"))
        await env.sleep(timedelta(days=200))
        await handle.signal(GrantMonitoringWorkflow.end, EndGrant(reason="terminated", at=await env.get_current_time()))
        await asyncio.wait_for(handle.result(), timeout=30)
        return await handle.fetch_history()


async def incident_lifecycle(env: WorkflowEnvironment, engine: Engine) -> WorkflowHistory:
    policy = default_policy()
    t0 = await env.get_current_time()
    with Session(engine, expire_on_commit=False) as session:
        incident = incidents.report(
            session, policy, channel=Channel.officer, incident_type="other", severity="low", title="replay",
            description="d", grant=None, reporter_subject="officer-subject", now=t0,
        )  # fmt: skip
        session.commit()
    async with incident_worker(env.client, engine) as task_queue:
        handle = await env.client.start_workflow(
            IncidentHandlingWorkflow.run,
            IncidentRef(incident_id=incident.id),
            id=incidents.workflow_id(incident.id),
            task_queue=task_queue,
        )
        await env.sleep(timedelta(days=7))  # triage overdue and escalated
        now = await env.get_current_time()
        with Session(engine) as session:
            current = session.get(Incident, incident.id)
            incidents.dismiss(session, current, OFFICER, "not a security matter", now=now)
            session.commit()
        await handle.signal(IncidentHandlingWorkflow.changed)
        await asyncio.wait_for(handle.result(), timeout=30)
        return await handle.fetch_history()


SCENARIOS: dict[str, Callable[[WorkflowEnvironment, Engine], Awaitable[WorkflowHistory]]] = {
    "grant_monitoring_lifecycle": grant_lifecycle,
    "incident_dismissed_after_escalation": incident_lifecycle,
}


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows) or [GrantMonitoringWorkflow, IncidentHandlingWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )


async def record(name: str) -> WorkflowHistory:
    with migrated_database(MIGRATIONS) as url:
        engine = create_engine(url)
        try:
            async with time_skipping() as env:
                return await SCENARIOS[name](env, engine)
        finally:
            engine.dispose()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_recorded_histories_replay_on_the_current_code(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    if RECORD:
        path.write_text((await record(name)).to_json())
    assert path.exists(), f"{path} is missing: record it with RSC_RECORD_MONITORING_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    assert len(history.events) >= 10
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


async def test_fresh_histories_replay() -> None:
    for name in SCENARIOS:
        await replayer().replay_workflow(await record(name))


@workflow.defn(name=GRANT_WORKFLOW, sandboxed=False)
class WithoutReminders(GrantMonitoringWorkflow):
    """A careless change: reminders are no longer recorded."""

    @workflow.run
    async def run(self, data: GrantWorkflowInput) -> list[str]:
        data.terms.reminder_days_before = []
        self._data.terms.reminder_days_before = []
        return await super().run(data)


async def test_a_careless_change_fails_the_replay() -> None:
    history = WorkflowHistory.from_json("grant", (HISTORIES / "grant_monitoring_lifecycle.json").read_text())
    with pytest.raises(NondeterminismError):
        await replayer(WithoutReminders, IncidentHandlingWorkflow).replay_workflow(history)
