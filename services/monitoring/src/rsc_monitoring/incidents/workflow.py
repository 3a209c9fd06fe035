"""`IncidentHandlingWorkflow`: the clock of one incident, from report to closure.

The database holds the incident (transitions are API transactions with strict (from, to) rules); this
workflow keeps its deadlines: triage within the policy's working days, the investigation by severity,
each measure's due date — a reminder before, overdue at, escalation after. It reads what is pending,
records what is due, and sleeps until the next deadline or until `changed` (sent by the monitoring
consumer for every `incident.changed` / `incident.measure_updated`) wakes it to read again.
It ends when the incident is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from rsc_monitoring.incidents.activities import IncidentActivities
    from rsc_monitoring.incidents.contracts import WORKFLOW_NAME, IncidentRef, RecordDeadline

RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)
TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=WORKFLOW_NAME)
class IncidentHandlingWorkflow:
    def __init__(self) -> None:
        self._changed = False

    @workflow.run
    async def run(self, ref: IncidentRef) -> int:
        recorded = 0
        while True:
            self._changed = False
            pending = await workflow.execute_activity_method(
                IncidentActivities.pending, ref, start_to_close_timeout=TIMEOUT, retry_policy=RETRY
            )
            if pending.closed:
                return recorded
            now = workflow.now()
            due = [d for d in pending.deadlines if d.at <= now]
            for deadline in due:
                if await workflow.execute_activity_method(
                    IncidentActivities.record,
                    RecordDeadline(incident_id=ref.incident_id, key=deadline.key),
                    start_to_close_timeout=TIMEOUT,
                    retry_policy=RETRY,
                ):
                    recorded += 1
            if due:
                continue  # read again: recording may have made the next deadline due as well
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(ref)
            upcoming = min((d.at for d in pending.deadlines), default=None)
            timeout = upcoming - now if upcoming else None
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(lambda: self._changed, timeout=timeout)

    @workflow.signal
    def changed(self) -> None:
        self._changed = True
