"""`AppraisalWorkflow` on the time-skipping test server, with its SLA clock child: auto-clearance,
the whole red-flag path (information request pausing the clock, four-eyes clearance with safeguards,
applicant acceptance, award), validators refusing before anything is recorded, withdrawal, and
an untouched case breaching its SLA after weeks of simulated time.

Each test runs a fresh worker on a fresh task queue; the case and SLA activities are recorders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from rsc_appraisal.cases.contracts import (
    ApplicantResponseKind,
    ApplicantSafeguardResponse,
    AppraisalInput,
    AppraisalRequest,
    Assignment,
    AssignRequest,
    AwardRequest,
    CaseView,
    ClaimRequest,
    CloseSignal,
    DecisionOutcome,
    DecisionRequest,
    FactorAssessment,
    InformationProvided,
    InformationRequestRequest,
    NoteRequest,
    ReviewRequest,
    VerifyMeasureRequest,
    appraisal_workflow_id,
)
from rsc_appraisal.cases.states import CaseStatus
from rsc_appraisal.cases.workflow import AppraisalWorkflow
from rsc_appraisal.sla.contracts import ClockStatus, SlaOutcome, sla_clock_id
from tests.appraisal.unit.cases.support import (
    ADVISER,
    OFFICER,
    OFFICER_2,
    CaseRecorder,
    case_worker,
    catalogue_ids,
    measure,
    screened,
)
from tests.appraisal.unit.sla.support import Recorder, time_skipping


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping() as environment:
        yield environment


async def start(env: WorkflowEnvironment, task_queue: str, proposal_id: uuid.UUID) -> WorkflowHandle:
    return await env.client.start_workflow(
        AppraisalWorkflow.run,
        AppraisalInput(proposal_id=proposal_id, version=1),
        id=appraisal_workflow_id(proposal_id, 1),
        task_queue=task_queue,
    )


async def final_update(handle: WorkflowHandle, update, request) -> CaseView:
    """An update that ends the workflow: the time-skipping server may answer the update's result poll with
    NOT_FOUND once the workflow completed in the same task (a test-server limitation, sdk-python #826), so
    wait for acceptance and read the workflow's result instead."""
    await handle.start_update(update, request, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    return await handle.result()


async def refused(handle: WorkflowHandle, update, request, expected: str) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, request)
    assert expected in str(caught.value.cause), caught.value.cause


async def test_a_low_risk_proposal_is_cleared_automatically_and_awarded(env: WorkflowEnvironment) -> None:
    pid = uuid.uuid4()
    cases, sla = CaseRecorder(screened("low", auto_clear=True, proposal_id=pid)), Recorder()
    async with case_worker(env.client, cases, sla) as task_queue:
        handle = await start(env, task_queue, pid)
        await cases.wait_for(lambda actions: actions == ["auto_clear"])
        [change] = cases.changes
        assert change.to_status is CaseStatus.cleared
        assert [e.type for e in change.events] == [
            "appraisal.case_changed",
            "appraisal.cleared",
            "appraisal.status_changed",
        ]
        assert change.events[1].data["auto_cleared"] is True
        assert change.events[2].data["status"] == "cleared"
        now = await env.get_current_time()
        await refused(
            handle,
            AppraisalWorkflow.award,
            AwardRequest(actor=ADVISER, grant_reference="G-1", signed_at=now),
            "needs a case officer or admin",
        )
        result: CaseView = await final_update(
            handle, AppraisalWorkflow.award, AwardRequest(actor=OFFICER, grant_reference="G-1", signed_at=now)
        )
    assert result.status is CaseStatus.awarded
    awarded = cases.changes[-1].events[-1]
    assert awarded.type == "grant.awarded"
    assert awarded.data["auto_cleared"] is True
    assert awarded.data["obligations"] == []
    assert sla.items == []  # no case, no clock


async def test_red_flag_path_information_request_four_eyes_safeguards_and_award(env: WorkflowEnvironment) -> None:
    pid = uuid.uuid4()
    cases, sla = CaseRecorder(screened("high", proposal_id=pid)), Recorder()
    async with case_worker(env.client, cases, sla) as task_queue:
        handle = await start(env, task_queue, pid)
        await cases.wait_for(lambda actions: actions == ["open"])
        await sla.wait_for(lambda names: names == ["started"])
        assert cases.changes[0].events[-1].data["status"] == "under_security_appraisal"

        await refused(
            handle,
            AppraisalWorkflow.claim,
            ClaimRequest(actor=OFFICER, role="security_adviser"),
            "do not hold the role security_adviser",
        )
        await handle.execute_update(AppraisalWorkflow.claim, ClaimRequest(actor=OFFICER, role="case_officer"))
        await handle.execute_update(
            AppraisalWorkflow.assign,
            AssignRequest(actor=OFFICER, assignee=Assignment(subject=ADVISER.subject, role="security_adviser")),
        )
        await handle.execute_update(
            AppraisalWorkflow.add_note,
            NoteRequest(actor=OFFICER, body="partner looks like a listed entity", note_id=uuid.uuid4()),
        )
        note = cases.changes[-1]
        assert note.note_body == "partner looks like a listed entity"
        assert all("listed entity" not in str(e.data) for e in note.events)  # never in events

        # information request: the clock pauses; weeks pass without reminders; the answer resumes it
        now = await env.get_current_time()
        request_id = uuid.uuid4()
        await handle.execute_update(
            AppraisalWorkflow.request_information,
            InformationRequestRequest(
                actor=OFFICER,
                request_id=request_id,
                message="Ownership of the partner?",
                due_at=now + timedelta(days=14),
            ),
        )
        await sla.wait_for(lambda names: "paused" in names)
        await env.sleep(timedelta(days=60))
        assert "reminder 0.5" not in sla.names()
        await handle.signal(
            AppraisalWorkflow.information_provided,
            InformationProvided(request_id=uuid.uuid4(), responded_at=now, responded_by="applicant-a"),
        )
        await handle.signal(
            AppraisalWorkflow.information_provided,
            InformationProvided(request_id=request_id, responded_at=now, responded_by="applicant-a"),
        )
        await cases.wait_for(lambda actions: "information_provided" in actions)
        assert cases.actions().count("information_provided") == 1  # the unknown request id changed nothing
        await sla.wait_for(lambda names: "resumed" in names)

        # four-eyes: an appraisal is needed first; the proposer cannot confirm; the adviser can
        now = await env.get_current_time()
        decision = DecisionRequest(
            actor=OFFICER,
            outcome=DecisionOutcome.cleared_with_safeguards,
            reason="Partner ownership explained; compartmentalise access to the prototype.",
            measures=[measure(catalogue_ids()[0], now)],
        )
        await refused(handle, AppraisalWorkflow.decide, decision, "factor-by-factor appraisal")
        before = len(cases.changes)
        await refused(
            handle,
            AppraisalWorkflow.decide,
            DecisionRequest(actor=OFFICER, outcome=DecisionOutcome.not_fundable, reason="short"),
            "a reason is required",
        )
        assert len(cases.changes) == before  # refused before anything was recorded
        await handle.execute_update(
            AppraisalWorkflow.record_appraisal,
            AppraisalRequest(
                actor=OFFICER,
                summary="High risk through the partner; manageable with safeguards.",
                factors=[FactorAssessment("partner_organisation", "high", "ownership chain to a listed entity")],
            ),
        )
        view = await handle.execute_update(AppraisalWorkflow.decide, decision)
        assert view.status is CaseStatus.awaiting_second_review
        await refused(
            handle, AppraisalWorkflow.confirm_decision, ReviewRequest(actor=OFFICER), "second, different person"
        )
        await refused(
            handle, AppraisalWorkflow.confirm_decision, ReviewRequest(actor=OFFICER_2), "only a reviewer assigned"
        )
        view = await handle.execute_update(AppraisalWorkflow.confirm_decision, ReviewRequest(actor=ADVISER))
        assert view.status is CaseStatus.safeguards_pending
        stopped = await sla.wait_for(lambda names: "stopped" in names)
        assert sla.items[-1].notice.outcome is SlaOutcome.cleared_with_safeguards, stopped
        assert sla.items[-1].snapshot.status is ClockStatus.stopped
        assert sla.items[-1].snapshot.clock_id == sla_clock_id(pid, 1)

        # the applicant accepts (signal from intake), the officer verifies: agreed and cleared
        mid = catalogue_ids()[0]
        await refused(
            handle,
            AppraisalWorkflow.verify_measure,
            VerifyMeasureRequest(actor=OFFICER, measure_id=mid, note="clause checked"),
            "has to accept it or submit evidence",
        )
        await handle.signal(
            AppraisalWorkflow.applicant_safeguard_response,
            ApplicantSafeguardResponse(
                measure_id=mid,
                kind=ApplicantResponseKind.accept,
                text="We agree.",
                responded_by="applicant-a",
                responded_at=now,
            ),
        )
        await cases.wait_for(lambda actions: "applicant_safeguard_response" in actions)
        view = await handle.execute_update(
            AppraisalWorkflow.verify_measure, VerifyMeasureRequest(actor=OFFICER, measure_id=mid, note="clause checked")
        )
        assert view.status is CaseStatus.cleared
        assert {"safeguards.agreed", "appraisal.cleared"} <= set(cases.events())
        cleared = next(e for c in cases.changes for e in c.events if e.type == "appraisal.cleared")
        assert cleared.data["decided_by"] == [OFFICER.subject, ADVISER.subject]
        assert cleared.data["safeguards"] == [mid]

        result: CaseView = await final_update(
            handle,
            AppraisalWorkflow.award,
            AwardRequest(actor=OFFICER, grant_reference="G-2", signed_at=await env.get_current_time()),
        )
    assert result.status is CaseStatus.awarded
    awarded = cases.changes[-1].events[-1]
    assert [o["measure_id"] for o in awarded.data["obligations"]] == [mid]
    assert awarded.data["level"] == "high"
    assert [c.seq for c in cases.changes] == list(range(1, len(cases.changes) + 1))
    for change in cases.changes:  # every change keeps its before/after and emits the audit event
        assert change.events[0].type == "appraisal.case_changed"
        assert change.before["status"] == change.from_status.value
        assert change.after["status"] == change.to_status.value


async def test_an_untouched_case_breaches_its_sla_and_a_withdrawal_closes_it(env: WorkflowEnvironment) -> None:
    pid = uuid.uuid4()
    cases, sla = CaseRecorder(screened("medium", proposal_id=pid)), Recorder()
    async with case_worker(env.client, cases, sla) as task_queue:
        handle = await start(env, task_queue, pid)
        await sla.wait_for(lambda names: names == ["started"])
        await env.sleep(timedelta(days=45))
        await sla.wait_for(lambda names: "breached 1" in names)
        assert sla.names()[:5] == ["started", "reminder 0.5", "reminder 0.8", "escalated 1", "breached 1"]
        await handle.signal(
            AppraisalWorkflow.withdraw,
            CloseSignal(reason="withdrawn by the applicant", at=await env.get_current_time()),
        )
        result: CaseView = await handle.result()
        await sla.wait_for(lambda names: "stopped" in names)
    assert result.status is CaseStatus.withdrawn
    assert sla.items[-1].notice.outcome is SlaOutcome.withdrawn
    assert cases.actions() == ["open", "withdraw"]


async def test_medium_cases_are_decided_by_one_officer_and_need_a_reason(env: WorkflowEnvironment) -> None:
    pid = uuid.uuid4()
    cases, sla = CaseRecorder(screened("medium", proposal_id=pid)), Recorder()
    async with case_worker(env.client, cases, sla) as task_queue:
        handle = await start(env, task_queue, pid)
        await cases.wait_for(lambda actions: actions == ["open"])
        await refused(
            handle,
            AppraisalWorkflow.decide,
            DecisionRequest(actor=OFFICER, outcome=DecisionOutcome.cleared, reason="Nothing of concern."),
            "the case is open; this needs it to be in_review",
        )
        await refused(
            handle,
            AppraisalWorkflow.claim,
            ClaimRequest(actor=ADVISER, role="security_adviser"),
            "reviewed by case_officer",
        )
        await handle.execute_update(AppraisalWorkflow.claim, ClaimRequest(actor=OFFICER, role="case_officer"))
        await refused(
            handle, AppraisalWorkflow.claim, ClaimRequest(actor=OFFICER_2, role="case_officer"), "use reassignment"
        )
        await refused(
            handle,
            AppraisalWorkflow.decide,
            DecisionRequest(
                actor=OFFICER,
                outcome=DecisionOutcome.not_fundable,
                reason="Export-control licence refused for the partner.",
            ),
            "appeal path",
        )
        view = await handle.execute_update(
            AppraisalWorkflow.decide,
            DecisionRequest(
                actor=OFFICER,
                outcome=DecisionOutcome.not_fundable,
                reason="Export-control licence refused for the partner.",
                appeal_path="Objection to the funder's appeals board within 30 days",
            ),
        )
        assert view.status is CaseStatus.not_fundable
        result: CaseView = await handle.result()
    assert result.status is CaseStatus.not_fundable
    assert "appraisal.decided" in cases.events()
    assert cases.changes[-1].events[-1].data["status"] == "not_fundable_for_security_reasons"
    assert sla.items[-1].notice.outcome is SlaOutcome.not_fundable


async def test_an_action_sent_while_the_proposal_is_screened_waits_for_the_case(env: WorkflowEnvironment) -> None:
    """E.g. a worker died after recording the case but before the server saw it: the queue already shows
    the case while its workflow screens again. The officer's claim is accepted and applied once it can be."""
    pid = uuid.uuid4()
    cases, sla = CaseRecorder(screened("medium", proposal_id=pid)), Recorder()
    cases.screen_gate = asyncio.Event()
    async with case_worker(env.client, cases, sla) as task_queue:
        handle = await start(env, task_queue, pid)
        update = await handle.start_update(
            AppraisalWorkflow.claim, ClaimRequest(actor=OFFICER, role="case_officer"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )  # fmt: skip
        assert cases.changes == []
        cases.screen_gate.set()
        view: CaseView = await update.result()
    assert view.status is CaseStatus.in_review
    assert cases.actions() == ["open", "claim"]
