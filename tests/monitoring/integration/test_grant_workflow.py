"""`GrantMonitoringWorkflow` on the time-skipping test server with the real activity and database:
years of a funded project in seconds — reminders, overdue, escalation, attestations, early end."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from rsc_common.auth import Principal
from rsc_monitoring.grants import service
from rsc_monitoring.grants.activities import grant_activities
from rsc_monitoring.grants.contracts import EndGrant, ItemDone
from rsc_monitoring.grants.plan import default_plan
from rsc_monitoring.grants.schedule import add_months
from rsc_monitoring.grants.workflow import GrantMonitoringWorkflow
from tests.monitoring.grant_support import award
from tests.monitoring.workflow_support import monitoring_worker


def grant_worker(client: Client, engine: Engine):
    return monitoring_worker(client, engine, GrantMonitoringWorkflow, grant_activities)


def create(engine: Engine, data):
    with Session(engine, expire_on_commit=False) as session:
        grant, workflow_input = service.create_from_award(session, data, default_plan())
        session.commit()
        return grant, workflow_input


def deadlines(engine: Engine, reference: str) -> list[str]:
    """`item:item_id:kind` of the grant.deadline events, in the order written."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT payload->'data' FROM outbox_event WHERE event_type = 'grant.deadline' "
                "AND payload->'data'->>'grant_reference' = :r ORDER BY created_at, id"
            ),
            {"r": reference},
        )
        return [f"{d['item']}:{d['item_id']}:{d['kind']}" for (d,) in rows]


async def settled(engine: Engine, reference: str, expected_count: int) -> list[str]:
    """The deadlines once `expected_count` are written (activities run in threads after a time skip)."""
    async with asyncio.timeout(30):
        while len(await asyncio.to_thread(deadlines, engine, reference)) < expected_count:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # and nothing more arrives
    return await asyncio.to_thread(deadlines, engine, reference)


def status_of(engine: Engine, reference: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM grant_award WHERE reference = :r"), {"r": reference}).scalar_one()


async def test_a_high_risk_grant_over_two_years(env: WorkflowEnvironment, engine: Engine) -> None:
    t0 = await env.get_current_time()
    grant, data = create(engine, award(t0, level="high", obligations={"SG-TRAINING": timedelta(days=60)}))
    assert grant.ends_at == add_months(t0, 36)  # no proposal facts: the plan's default duration
    async with grant_worker(env.client, engine) as task_queue:
        handle = await env.client.start_workflow(
            GrantMonitoringWorkflow.run, data, id=grant.workflow_id, task_queue=task_queue
        )
        assert len(await handle.query(GrantMonitoringWorkflow.pending)) == 29  # started before time moves
        await env.sleep(timedelta(days=75))  # past the obligation's due date and its escalation
        assert await settled(engine, grant.reference, 4) == [
            "obligation:SG-TRAINING:reminder",
            "obligation:SG-TRAINING:reminder",
            "obligation:SG-TRAINING:overdue",
            "obligation:SG-TRAINING:escalated",
        ]
        with Session(engine) as session:
            obligation = service._obligation(session, grant, "SG-TRAINING")
            assert obligation.status == "overdue"
            assert obligation.escalated_at is not None

        # the first attestation (6 months) is submitted before it is due: no overdue for it
        with Session(engine) as session:
            g = service.get_grant(session, grant.reference, staff())
            g.organisation_id = uuid.uuid4()
            grantee = Principal("grantee", None, frozenset({"applicant"}), g.organisation_id, None, None, None)
            service.submit_attestation(
                session, g, grantee, default_plan(), period=1, changes=[], statement=None, evidence=[]
            )
            session.commit()
        await handle.signal(GrantMonitoringWorkflow.item_done, ItemDone(item="attestation", item_id="1"))
        await env.sleep(add_months(t0, 7) - await env.get_current_time())
        pending = await handle.query(GrantMonitoringWorkflow.pending)
        assert pending[0].endswith("attestation:2:reminder:14")  # period 1 is done: no reminder, no overdue
        assert len(deadlines(engine, grant.reference)) == 4

        # period 2 is missed: overdue, then escalated to the supervisor role
        await env.sleep(add_months(t0, 12) + timedelta(days=11) - await env.get_current_time())
        assert (await settled(engine, grant.reference, 8))[4:] == [
            "attestation:2:reminder",
            "attestation:2:reminder",
            "attestation:2:overdue",
            "attestation:2:escalated",
        ]

        # then the grant is terminated (an incident measure): the workflow ends with it
        with Session(engine) as session:
            g = service.get_grant(session, grant.reference, staff())
            service.end_grant(session, g, "terminated", await env.get_current_time())
            session.commit()
        await handle.signal(GrantMonitoringWorkflow.end, EndGrant(reason="terminated", at=await env.get_current_time()))
        fired = await asyncio.wait_for(handle.result(), timeout=30)
    assert "grant:ended" in fired
    assert status_of(engine, grant.reference) == "terminated"


async def test_a_low_risk_grant_without_obligations_just_ends(env: WorkflowEnvironment, engine: Engine) -> None:
    t0 = await env.get_current_time()
    grant, data = create(engine, award(t0, level="low", obligations={}))
    async with grant_worker(env.client, engine) as task_queue:
        handle = await env.client.start_workflow(
            GrantMonitoringWorkflow.run, data, id=grant.workflow_id, task_queue=task_queue
        )
        assert await handle.query(GrantMonitoringWorkflow.pending) == [f"{grant.ends_at.isoformat()} grant:ended"]
        fired = await asyncio.wait_for(handle.result(), timeout=30)  # the server skips 36 months
    assert fired == ["grant:ended"]
    assert status_of(engine, grant.reference) == "ended"
    assert deadlines(engine, grant.reference) == []
    with engine.connect() as conn:
        ended = conn.execute(
            text("SELECT payload->'data'->>'reason' FROM outbox_event WHERE event_type = 'grant.ended' AND key = :r"),
            {"r": grant.reference},
        ).scalar_one()
    assert ended == "ended"


async def test_an_obligation_fulfilled_in_time_is_never_overdue(env: WorkflowEnvironment, engine: Engine) -> None:
    t0 = await env.get_current_time()
    grant, data = create(engine, award(t0, level="medium", obligations={"SG-DATA": timedelta(days=30)}))
    async with grant_worker(env.client, engine) as task_queue:
        handle = await env.client.start_workflow(
            GrantMonitoringWorkflow.run, data, id=grant.workflow_id, task_queue=task_queue
        )
        with Session(engine) as session:
            g = service.get_grant(session, grant.reference, staff())
            g.organisation_id = uuid.uuid4()
            grantee = Principal("grantee", None, frozenset({"applicant"}), g.organisation_id, None, None, None)
            service.submit_evidence(session, g, "SG-DATA", grantee, "training held on 3 March", [])
            service.decide_obligation(session, g, "SG-DATA", staff(), "accept", "evidence complete")
            session.commit()
        # the signal is late (the consumer lagged): the activity sees the fulfilment and skips anyway
        await handle.query(GrantMonitoringWorkflow.pending)
        await env.sleep(timedelta(days=45))
        assert deadlines(engine, grant.reference) == []
        await handle.signal(GrantMonitoringWorkflow.item_done, ItemDone(item="obligation", item_id="SG-DATA"))
        pending = await handle.query(GrantMonitoringWorkflow.pending)
        assert not any("obligation" in p for p in pending)
        await handle.cancel()


def staff() -> Principal:
    return Principal("officer", None, frozenset({"case_officer"}), None, None, None, None)
