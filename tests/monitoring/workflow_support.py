"""A fresh worker on a fresh task queue for monitoring's workflows, with the real activities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from rsc_common.temporal import workflow_runner


@asynccontextmanager
async def monitoring_worker(
    client: Client, engine: Engine, workflow: type, activities: Callable[[Engine], list]
) -> AsyncIterator[str]:
    """Yields the task queue; the synchronous (database) activities run in a thread pool."""
    task_queue = f"test-{workflow.__name__}-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[workflow],
        activities=activities(engine),
        activity_executor=ThreadPoolExecutor(4),
        workflow_runner=workflow_runner(),
    ):
        yield task_queue
