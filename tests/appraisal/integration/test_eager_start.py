"""Eager workflow start on the real Temporal dev server: the appraisal worker process starts a version's
workflow through its own worker's client (`rsc_common.runtime.worker_bridge`), and the server hands the
first workflow task back in the start's answer instead of queueing it for a poll."""

from __future__ import annotations

import uuid

from rsc_appraisal.cases.client import start_appraisal
from rsc_common.settings import TemporalSettings
from rsc_common.temporal import connect
from tests.appraisal.unit.cases.support import CaseRecorder, case_worker, screened
from tests.appraisal.unit.sla.support import Recorder
from tests.support.servers import TEMPORAL_ADDRESS


async def test_a_start_through_the_workers_own_client_is_eager_and_completes() -> None:
    client = await connect(TemporalSettings(address=TEMPORAL_ADDRESS))
    proposal_id = uuid.uuid4()
    cases = CaseRecorder(screened("low", auto_clear=True, proposal_id=proposal_id))
    async with case_worker(client, cases, Recorder()) as task_queue:
        handle = await start_appraisal(client, proposal_id, 1, task_queue=task_queue, eager=True)
        assert getattr(handle, "__temporal_eagerly_started") is True
        # cleared automatically (the workflow then waits for the award)
        assert await cases.wait_for(lambda actions: actions == ["auto_clear"]) == ["auto_clear"]
        # a redelivered event starts nothing new (same workflow id, USE_EXISTING)
        again = await start_appraisal(client, proposal_id, 1, task_queue=task_queue, eager=True)
        assert again.id == handle.id
        assert cases.screen_calls == 1
        await handle.terminate("test done")


async def test_without_a_worker_on_the_client_the_start_is_an_ordinary_one() -> None:
    worker_client = await connect(TemporalSettings(address=TEMPORAL_ADDRESS))
    other_client = await connect(TemporalSettings(address=TEMPORAL_ADDRESS))
    proposal_id = uuid.uuid4()
    cases = CaseRecorder(screened("low", auto_clear=True, proposal_id=proposal_id))
    async with case_worker(worker_client, cases, Recorder()) as task_queue:
        handle = await start_appraisal(other_client, proposal_id, 1, task_queue=task_queue, eager=True)
        assert getattr(handle, "__temporal_eagerly_started") is False
        assert await cases.wait_for(lambda actions: actions == ["auto_clear"]) == ["auto_clear"]
        await handle.terminate("test done")
