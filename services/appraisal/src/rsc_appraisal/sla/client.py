"""Starting and addressing SLA clocks from outside workflow code (API, consumers, activities, tests).

    data = clock_input(case_ref="CASE-1", proposal_id=pid, version=1, level="high", started_at=opened_at,
                       programme="default", call_closes_at=call.closes_at)
    handle = await start_sla_clock(client, data, task_queue=task_queue(settings))
    await handle.execute_update(SlaClockWorkflow.pause, PauseRequest(reason="information requested", actor=sub))
    state = await current_state(handle)             # the state query, as of now

`clock_input` reads the configuration files, so workflow code must not call it: build the input in an
activity (or before starting the casework workflow) and pass it on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from rsc_appraisal.engine.contracts import RiskLevel
from rsc_appraisal.sla.clock import SlaClock
from rsc_appraisal.sla.config import CalendarSet, SlaConfig, default_calendars, default_sla_config
from rsc_appraisal.sla.contracts import SlaClockInput, SlaState, sla_clock_id
from rsc_appraisal.sla.workflow import SlaClockWorkflow


def clock_input(
    *,
    case_ref: str,
    proposal_id: uuid.UUID,
    version: int,
    level: RiskLevel | str,
    started_at: datetime,
    programme: str | None = None,
    call_closes_at: datetime | None = None,
    config: SlaConfig | None = None,
    calendars: CalendarSet | None = None,
) -> SlaClockInput:
    """The clock's input with snapshots of the programme's configuration and calendar (validated)."""
    config = config or default_sla_config()
    calendars = calendars or default_calendars()
    snapshot = config.programme(programme)
    data = SlaClockInput(
        case_ref=case_ref,
        proposal_id=proposal_id,
        version=version,
        level=RiskLevel(level),
        programme=snapshot,
        calendar=calendars.calendar(snapshot.calendar),
        started_at=started_at,
        call_closes_at=call_closes_at,
    )
    SlaClock(sla_clock_id(proposal_id, version), data)  # raises SlaInputError before anything starts
    return data


async def start_sla_clock(
    client: Client, data: SlaClockInput, *, task_queue: str, workflow_id: str | None = None
) -> WorkflowHandle[SlaClockWorkflow, SlaState]:
    """Start the clock; a clock with this id that runs or ran already is returned instead (repeat-safe)."""
    workflow_id = workflow_id or sla_clock_id(data.proposal_id, data.version)
    try:
        return await client.start_workflow(
            SlaClockWorkflow.run,
            data,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle_for(SlaClockWorkflow.run, workflow_id)


def sla_clock_handle(
    client: Client, proposal_id: uuid.UUID | str, version: int
) -> WorkflowHandle[SlaClockWorkflow, SlaState]:
    return client.get_workflow_handle_for(SlaClockWorkflow.run, sla_clock_id(proposal_id, version))


async def current_state(handle: WorkflowHandle[SlaClockWorkflow, SlaState], at: datetime | None = None) -> SlaState:
    """The `state` query as of `at` (default: now); a query alone only knows the last activation's time."""
    return await handle.query(SlaClockWorkflow.state, at or datetime.now(UTC))
