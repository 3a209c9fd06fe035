"""What monitoring's Kafka handlers (synchronous, consumer threads) need from Temporal."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from rsc_common.temporal import TemporalBridge
from rsc_monitoring.grants.contracts import EndGrant, GrantWorkflowInput, ItemDone, grant_workflow_id
from rsc_monitoring.grants.workflow import GrantMonitoringWorkflow


async def start_grant_workflow(client: Client, data: GrantWorkflowInput, task_queue: str) -> None:
    """Start the grant's workflow; one that runs or ran already is left alone (redelivery-safe)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            GrantMonitoringWorkflow.run,
            data,
            id=grant_workflow_id(data.terms.grant_reference),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


async def signal_if_running(handle: WorkflowHandle, signal, arg) -> bool:
    try:
        await handle.signal(signal, arg)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


class MonitoringGateway:
    def __init__(self, connect: Callable[[], TemporalBridge], task_queue: str) -> None:
        self._connect = connect  # connected on first use, in the consumer thread
        self._bridge: TemporalBridge | None = None
        self._lock = threading.Lock()
        self.task_queue = task_queue

    @property
    def bridge(self) -> TemporalBridge:
        with self._lock:
            if self._bridge is None:
                self._bridge = self._connect()
            return self._bridge

    def start_grant(self, data: GrantWorkflowInput) -> None:
        self.bridge.call(lambda c: start_grant_workflow(c, data, self.task_queue))

    def _handle(self, client: Client, reference: str) -> WorkflowHandle:
        return client.get_workflow_handle_for(GrantMonitoringWorkflow.run, grant_workflow_id(reference))

    def item_done(self, reference: str, item: str, item_id: str) -> bool:
        done = ItemDone(item=item, item_id=item_id)
        return self.bridge.call(
            lambda c: signal_if_running(self._handle(c, reference), GrantMonitoringWorkflow.item_done, done)
        )

    def end_grant(self, reference: str, reason: str, at: datetime) -> bool:
        request = EndGrant(reason=reason, at=at)
        return self.bridge.call(
            lambda c: signal_if_running(self._handle(c, reference), GrantMonitoringWorkflow.end, request)
        )
