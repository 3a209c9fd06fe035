"""Builders for the casework tests: screening outcomes, actors, and stand-ins for the case activities
(same activity names) that keep what the workflow records, so tests see every change and event."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from rsc_appraisal.cases.contracts import (
    Actor,
    CaseChange,
    CatalogueMeasure,
    ClockRequest,
    ProposedMeasure,
    RecordResult,
    RouteSnapshot,
    ScreenOutcome,
    ScreenRequest,
)
from rsc_appraisal.cases.routing import default_routing
from rsc_appraisal.cases.workflow import AppraisalWorkflow
from rsc_appraisal.policy.safeguards import default_safeguard_catalogue
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from rsc_common.temporal import workflow_runner
from tests.appraisal.unit.sla.support import Recorder, clock_data

OFFICER = Actor(subject="officer-1", roles=("case_officer",))
OFFICER_2 = Actor(subject="officer-2", roles=("case_officer",))
ADVISER = Actor(subject="adviser-1", roles=("security_adviser",))
APPLICANT = Actor(subject="applicant-a", roles=("applicant",))
WAIT_SECONDS = 30


def route(level: str) -> RouteSnapshot:
    routing = default_routing()
    spec = routing.route(level)
    return RouteSnapshot(
        level=level,
        reviewers=list(spec.reviewers),
        four_eyes=spec.four_eyes,
        referral_allowed=spec.referral_allowed,
        sla_level=spec.sla_level.value,
        routing_version=routing.version,
    )


def screened(level: str = "high", *, auto_clear: bool = False, proposal_id: uuid.UUID | None = None) -> ScreenOutcome:
    return ScreenOutcome(
        case_id=uuid.uuid5(uuid.NAMESPACE_URL, str(proposal_id or uuid.uuid4())),
        case_ref="RSC-TEST-V1",
        screening_id=uuid.uuid4(),
        level=level,
        auto_clear=auto_clear,
        flag_count=0 if auto_clear else 2,
        recommended_measures=[],
        route=route(level),
        catalogue=[
            CatalogueMeasure(id=m.id, title=m.title, tracked_as=m.tracked_as)
            for m in default_safeguard_catalogue().measures
        ],
        organisation_ids=[],
        call_identifier="TEST-CALL",
    )


def measure(measure_id: str, now: datetime) -> ProposedMeasure:
    return ProposedMeasure(
        measure_id=measure_id,
        owner="coordinator",
        due_at=now + timedelta(days=30),
        evidence_required="signed clause",
    )


def catalogue_ids() -> list[str]:
    return [m.id for m in default_safeguard_catalogue().measures]


class CaseRecorder:
    """Stands in for `CaseActivities` (screen, clock_input, record_change)."""

    def __init__(self, outcome: ScreenOutcome) -> None:
        self.outcome = outcome
        self.changes: list[CaseChange] = []
        self.screen_calls = 0
        self.screen_gate: asyncio.Event | None = None  # set by a test to hold the screening
        self._recorded = asyncio.Event()

    @activity.defn(name="cases.screen")
    async def screen(self, request: ScreenRequest) -> ScreenOutcome:
        self.screen_calls += 1
        if self.screen_gate is not None:
            await self.screen_gate.wait()
        return self.outcome

    @activity.defn(name="cases.clock_input")
    async def clock_input(self, request: ClockRequest):
        return clock_data(request.started_at, request.level, proposal_id=request.proposal_id)

    @activity.defn(name="cases.record_change")
    async def record_change(self, change: CaseChange) -> RecordResult:
        if any(c.key == change.key for c in self.changes):  # as the ledger does
            return RecordResult(key=change.key, recorded=False)
        self.changes.append(change)
        self._recorded.set()
        return RecordResult(key=change.key, recorded=True)

    def actions(self) -> list[str]:
        return [c.action.value for c in self.changes]

    def events(self) -> list[str]:
        return [e.type for c in self.changes for e in c.events]

    async def wait_for(self, predicate: Callable[[list[str]], bool]) -> list[str]:
        async with asyncio.timeout(WAIT_SECONDS):
            while not predicate(self.actions()):
                self._recorded.clear()
                await self._recorded.wait()
        return self.actions()


@asynccontextmanager
async def case_worker(client: Client, cases: CaseRecorder, sla: Recorder) -> AsyncIterator[str]:
    """A fresh worker on a fresh task queue with both workflows; yields the queue."""
    task_queue = f"test-cases-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[AppraisalWorkflow, SlaClockWorkflow],
        activities=[cases.screen, cases.clock_input, cases.record_change, sla.record],
        workflow_runner=workflow_runner(),
    ):
        yield task_queue
