"""`IncidentHandlingWorkflow` on the time-skipping test server with the real activities and database:
triage deadlines in working days, the clock moving on with each transition, measure deadlines, the
end at closure."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from rsc_common.auth import Principal
from rsc_common.contracts.incidents import MeasureStatus
from rsc_monitoring.incidents import service
from rsc_monitoring.incidents.activities import incident_activities
from rsc_monitoring.incidents.contracts import IncidentRef
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.models import Incident
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.incidents.workflow import IncidentHandlingWorkflow
from tests.monitoring.workflow_support import monitoring_worker

OFFICER = Principal("officer-subject", None, frozenset({"case_officer"}), None, None, None, None)


def incident_worker(client: Client, engine: Engine):
    return monitoring_worker(client, engine, IncidentHandlingWorkflow, incident_activities)


def recorded(engine: Engine, incident_id: uuid.UUID) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT payload->'data'->>'item', payload->'data'->>'kind' FROM outbox_event "
                "WHERE event_type = 'incident.deadline' AND key = :k ORDER BY created_at, id"
            ),
            {"k": str(incident_id)},
        )
        return [f"{item}:{kind}" for item, kind in rows]


async def settled(engine: Engine, incident_id: uuid.UUID, count: int) -> list[str]:
    async with asyncio.timeout(30):
        while len(await asyncio.to_thread(recorded, engine, incident_id)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    return await asyncio.to_thread(recorded, engine, incident_id)


def act(engine: Engine, incident_id: uuid.UUID, fn) -> None:
    with Session(engine, expire_on_commit=False) as session:
        fn(session, session.get(Incident, incident_id))
        session.commit()


async def changed(handle: WorkflowHandle) -> None:
    await handle.signal(IncidentHandlingWorkflow.changed)


async def test_triage_investigation_and_measure_deadlines(env: WorkflowEnvironment, engine: Engine) -> None:
    policy = default_policy()
    t0 = await env.get_current_time()
    with Session(engine, expire_on_commit=False) as session:
        incident = service.report(
            session,
            policy,
            channel=Channel.officer,
            incident_type="suspicious_approach",
            severity="medium",
            title="Approach at a conference",
            description="Asked for unpublished results.",
            grant=None,
            reporter_subject="officer-subject",
            now=t0,
        )
        session.commit()
    assert incident.triage_due_at == policy.add_working_days(t0, 2)
    async with incident_worker(env.client, engine) as task_queue:
        handle = await env.client.start_workflow(
            IncidentHandlingWorkflow.run,
            IncidentRef(incident_id=incident.id),
            id=service.workflow_id(incident.id),
            task_queue=task_queue,
        )
        # nobody triages: reminder, overdue at 2 working days, escalation 2 working days later
        escalate_at = policy.add_working_days(incident.triage_due_at, policy.escalate_after_working_days)
        await env.sleep(escalate_at - t0 + timedelta(hours=1))
        assert await settled(engine, incident.id, 3) == ["triage:reminder", "triage:overdue", "triage:escalated"]

        # triage moves the clock to the investigation deadline (10 working days for high); the actions
        # happen at the test server's time
        now = await env.get_current_time()
        act(
            engine,
            incident.id,
            lambda s, i: service.triage(s, policy, i, OFFICER, severity="high", assignees=[], note="n", now=now),
        )
        await changed(handle)
        act(engine, incident.id, lambda s, i: service.investigate(s, i, OFFICER, "interviews", now=now))
        await changed(handle)
        await env.sleep(timedelta(days=9))  # 7 working days later: nothing due yet for the investigation
        assert await asyncio.to_thread(recorded, engine, incident.id) == [
            "triage:reminder", "triage:overdue", "triage:escalated"
        ]  # fmt: skip

        # measures decided before the investigation is late: its deadlines are gone, the measure's count
        now = await env.get_current_time()
        due = policy.add_working_days(now, 3)
        measures = [{"kind": "corrective_plan", "owner": "grantee", "note": "plan", "due_at": due}]
        act(engine, incident.id, lambda s, i: service.decide_measures(s, policy, i, OFFICER, measures, "n", now=now))
        await changed(handle)
        await env.sleep(due - await env.get_current_time() + timedelta(hours=1))
        assert (await settled(engine, incident.id, 5))[3:] == ["measure:reminder", "measure:overdue"]

        # the measure is done, the incident closed: the workflow ends, no escalation of the measure
        with Session(engine) as session:
            measure_id = session.exec(
                text("SELECT id FROM incident_measure WHERE incident_id = :i").bindparams(i=incident.id)
            ).scalar_one()
        act(
            engine,
            incident.id,
            lambda s, i: service.update_measure(s, i, measure_id, OFFICER, MeasureStatus.done, "ok", now=now),
        )
        act(engine, incident.id, lambda s, i: service.close(s, i, OFFICER, "resolved", "brief staff", now=now))
        await changed(handle)
        assert await asyncio.wait_for(handle.result(), timeout=30) == 5
    assert len(recorded(engine, incident.id)) == 5
