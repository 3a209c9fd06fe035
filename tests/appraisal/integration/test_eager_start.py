"""Eager workflow start on the real Temporal dev server: the appraisal worker process starts a version's
workflow through its own worker's client (as `rsc_common.runtime.worker_bridge` gives its Kafka handlers),
and the server hands the first workflow task back in the start's answer instead of queueing it for a poll."""

from __future__ import annotations

import uuid

import pytest

from rsc_appraisal.cases.client import start_appraisal
from rsc_common.settings import TemporalSettings
from rsc_common.temporal import connect
from tests.appraisal.unit.cases.support import CaseRecorder, case_worker, screened
from tests.appraisal.unit.sla.support import Recorder
from tests.support.servers import TEMPORAL_ADDRESS


@pytest.mark.parametrize("through_the_workers_client", [True, False], ids=["worker-client", "other-client"])
async def test_a_start_is_eager_only_through_the_client_of_a_polling_worker(through_the_workers_client: bool) -> None:
    worker_client = await connect(TemporalSettings(address=TEMPORAL_ADDRESS))
    starter = worker_client if through_the_workers_client else await connect(TemporalSettings(address=TEMPORAL_ADDRESS))
    proposal_id = uuid.uuid4()
    cases = CaseRecorder(screened("low", auto_clear=True, proposal_id=proposal_id))
    async with case_worker(worker_client, cases, Recorder()) as task_queue:
        handle = await start_appraisal(starter, proposal_id, 1, task_queue=task_queue, eager=True)
        # without a worker on the starting client the start is an ordinary one
        assert getattr(handle, "__temporal_eagerly_started") is through_the_workers_client
        # cleared automatically either way (the workflow then waits for the award)
        assert await cases.wait_for(lambda actions: actions == ["auto_clear"]) == ["auto_clear"]
        # a redelivered event starts nothing new (same workflow id, USE_EXISTING)
        again = await start_appraisal(starter, proposal_id, 1, task_queue=task_queue, eager=True)
        assert (again.id, again.result_run_id) == (handle.id, handle.result_run_id)
        assert cases.screen_calls == 1
        await handle.terminate("test done")
