"""Starting and addressing appraisal workflows from outside workflow code (Kafka handlers, API, tests)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from rsc_appraisal.cases.contracts import (
    ApplicantSafeguardResponse,
    AppraisalInput,
    CaseView,
    CloseSignal,
    InformationProvided,
    appraisal_workflow_id,
)
from rsc_appraisal.cases.workflow import AppraisalWorkflow
from rsc_common.temporal import TemporalBridge, signal_if_running


async def start_appraisal(
    client: Client, proposal_id: uuid.UUID, version: int, *, task_queue: str, eager: bool = False
) -> WorkflowHandle[AppraisalWorkflow, CaseView]:
    """Start the version's workflow; one that runs or ran already is returned instead (redelivery-safe).

    `eager`: ask the server to hand the first workflow task to a worker of `client` itself (the worker
    process's own client); without such a worker the start is an ordinary one."""
    workflow_id = appraisal_workflow_id(proposal_id, version)
    try:
        return await client.start_workflow(
            AppraisalWorkflow.run,
            AppraisalInput(proposal_id=proposal_id, version=version),
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            request_eager_start=eager,
        )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle_for(AppraisalWorkflow.run, workflow_id)


def appraisal_handle(client: Client, proposal_id: uuid.UUID | str, version: int) -> WorkflowHandle:
    return client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal_workflow_id(proposal_id, version))


class AppraisalGateway:
    """What the Kafka handlers (synchronous, in consumer threads) need from Temporal."""

    def __init__(self, connect: Callable[[], TemporalBridge], task_queue: str) -> None:
        self._connect = connect  # connected on first use, in the consumer thread, not at process start
        self._bridge: TemporalBridge | None = None
        self._lock = threading.Lock()
        self._task_queue = task_queue

    @property
    def bridge(self) -> TemporalBridge:
        with self._lock:
            if self._bridge is None:
                self._bridge = self._connect()
            return self._bridge

    def start(self, proposal_id: uuid.UUID, version: int) -> None:
        self.start_many([(proposal_id, version)])

    def start_many(self, versions: list[tuple[uuid.UUID, int]], concurrency: int = 16) -> None:
        """Start the versions' workflows concurrently (a start waits on the Temporal server's write)."""
        gate = asyncio.Semaphore(concurrency)
        eager = self.bridge.shares_worker  # the worker process's own client: eager start (start_appraisal)

        async def start(client: Client, proposal_id: uuid.UUID, version: int) -> None:
            async with gate:
                await start_appraisal(client, proposal_id, version, task_queue=self._task_queue, eager=eager)

        async def start_all(client: Client) -> None:
            await asyncio.gather(*(start(client, p, v) for p, v in versions))

        self.bridge.call(start_all)

    def _signal(self, proposal_id: uuid.UUID, version: int, signal, arg) -> bool:
        return self.bridge.call(lambda c: signal_if_running(appraisal_handle(c, proposal_id, version), signal, arg))

    def supersede(self, proposal_id: uuid.UUID, version: int, reason: str) -> bool:
        return self._signal(
            proposal_id, version, AppraisalWorkflow.supersede, CloseSignal(reason=reason, at=datetime.now(UTC))
        )

    def withdraw(self, proposal_id: uuid.UUID, version: int, reason: str, at: datetime) -> bool:
        return self._signal(proposal_id, version, AppraisalWorkflow.withdraw, CloseSignal(reason=reason, at=at))

    def information_provided(self, proposal_id: uuid.UUID, version: int, answer: InformationProvided) -> bool:
        return self._signal(proposal_id, version, AppraisalWorkflow.information_provided, answer)

    def safeguard_response(self, proposal_id: uuid.UUID, version: int, response: ApplicantSafeguardResponse) -> bool:
        return self._signal(proposal_id, version, AppraisalWorkflow.applicant_safeguard_response, response)
