"""What monitoring's Kafka handlers (synchronous, consumer threads) need from Temporal: starting and
signalling the grant and incident workflows. Nothing here runs in a request thread."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from rsc_common.temporal import TemporalBridge, signal_if_running
from rsc_monitoring.grants.contracts import EndGrant, GrantWorkflowInput, ItemDone, grant_workflow_id
from rsc_monitoring.grants.workflow import GrantMonitoringWorkflow
from rsc_monitoring.incidents.contracts import IncidentRef
from rsc_monitoring.incidents.service import workflow_id as incident_workflow_id
from rsc_monitoring.incidents.workflow import IncidentHandlingWorkflow


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


async def start_incident_workflow(client: Client, incident_id: uuid.UUID, task_queue: str) -> None:
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            IncidentHandlingWorkflow.run,
            IncidentRef(incident_id=incident_id),
            id=incident_workflow_id(incident_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


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

    def start_incident(self, incident_id: uuid.UUID) -> None:
        self.bridge.call(lambda c: start_incident_workflow(c, incident_id, self.task_queue))

    def incident_changed(self, incident_id: uuid.UUID) -> bool:
        handle = lambda c: c.get_workflow_handle_for(  # noqa: E731
            IncidentHandlingWorkflow.run, incident_workflow_id(incident_id)
        )
        return self.bridge.call(lambda c: signal_if_running(handle(c), IncidentHandlingWorkflow.changed))
