"""`GrantMonitoringWorkflow`: follows one funded project from award to its end.

The updatable-timer pattern: fire the milestones that are due (reminders, overdue, escalations of
obligations and attestations, then the end), sleep until the next one, wake up early when a signal
changes the schedule (an item done, the grant terminated). The schedule is a pure function
(`schedule.milestones`); the one side effect is the `grants.record_milestone` activity, keyed so a
retry or replay records once. Grants run for years: the workflow continues as new when Temporal
suggests it, carrying the milestones already fired.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from rsc_monitoring.grants.activities import GrantActivities
    from rsc_monitoring.grants.contracts import (
        WORKFLOW_NAME,
        EndGrant,
        GrantWorkflowInput,
        ItemDone,
        RecordMilestone,
    )
    from rsc_monitoring.grants.schedule import Milestone, milestones

# A database outage delays a reminder; it never loses it.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)


@workflow.defn(name=WORKFLOW_NAME)
class GrantMonitoringWorkflow:
    @workflow.init
    def __init__(self, data: GrantWorkflowInput) -> None:
        self._data = data
        self._fired: set[str] = set(data.fired)
        self._changed = False
        self._ended = False

    @workflow.run
    async def run(self, data: GrantWorkflowInput) -> list[str]:
        while True:
            now = workflow.now()
            for milestone in self._pending():
                if milestone.at > now:
                    break
                if milestone.kind == "reminder" and milestone.due_at <= now:
                    self._fired.add(milestone.key)  # e.g. an award recorded late: overdue says it all
                    continue
                await self._record(milestone)
                if milestone.kind == "ended":
                    self._ended = True
                    break
            if self._ended:
                return sorted(self._fired)
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(self._carry())
            upcoming = self._pending()
            self._changed = False
            timeout = (upcoming[0].at - workflow.now()) if upcoming else None
            with contextlib.suppress(asyncio.TimeoutError):  # the timeout is the next milestone: no error
                await workflow.wait_condition(lambda: self._changed, timeout=timeout)

    def _pending(self) -> list[Milestone]:
        return [m for m in milestones(self._data.terms) if m.key not in self._fired]

    async def _record(self, m: Milestone) -> None:
        await workflow.execute_activity_method(
            GrantActivities.record_milestone,
            RecordMilestone(
                grant_id=self._data.grant_id,
                workflow_id=workflow.info().workflow_id,
                key=m.key,
                kind=m.kind,
                item=m.item,
                item_id=m.item_id,
                due_at=m.due_at,
                escalate_to_role=self._data.escalate_to_role,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
        )
        self._fired.add(m.key)

    def _carry(self) -> GrantWorkflowInput:
        return GrantWorkflowInput(
            grant_id=self._data.grant_id,
            terms=self._data.terms,
            escalate_to_role=self._data.escalate_to_role,
            fired=sorted(self._fired),
        )

    @workflow.signal
    def item_done(self, done: ItemDone) -> None:
        terms = self._data.terms
        if done.item == "obligation" and done.item_id not in terms.done_obligations:
            terms.done_obligations.append(done.item_id)
        elif done.item == "attestation" and done.item_id.isdigit() and int(done.item_id) not in terms.done_attestations:
            terms.done_attestations.append(int(done.item_id))
        self._changed = True

    @workflow.signal
    def end(self, request: EndGrant) -> None:
        # the grant ends now: the end milestone moves to this instant (the activity records it)
        if request.at < self._data.terms.ends_at:
            self._data.terms.ends_at = request.at
        self._changed = True

    @workflow.query
    def pending(self) -> list[str]:
        return [f"{m.at.isoformat()} {m.key}" for m in self._pending()]
