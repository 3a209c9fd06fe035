"""Replay tests of `AppraisalWorkflow`: a recorded history of the whole red-flag path (open, claims,
information request, appraisal, four-eyes, safeguards, award) must replay on the current code, so a
change that breaks determinism fails the suite. Record a new scenario with RSC_RECORD_CASE_HISTORIES=1;
never re-record an existing one to make a failing replay pass (running cases have exactly that history)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from rsc_appraisal.cases.contracts import (
    ApplicantResponseKind,
    ApplicantSafeguardResponse,
    AppraisalInput,
    AppraisalRequest,
    AwardRequest,
    CaseView,
    ClaimRequest,
    DecisionOutcome,
    DecisionRequest,
    FactorAssessment,
    InformationProvided,
    InformationRequestRequest,
    ReviewRequest,
    VerifyMeasureRequest,
    appraisal_workflow_id,
)
from rsc_appraisal.cases.workflow import WORKFLOW_NAME, AppraisalWorkflow
from rsc_appraisal.sla.workflow import SlaClockWorkflow
from rsc_common.temporal import data_converter, workflow_runner
from tests.appraisal.integration.test_case_workflow import final_update
from tests.appraisal.unit.cases.support import (
    ADVISER,
    OFFICER,
    CaseRecorder,
    case_worker,
    catalogue_ids,
    measure,
    screened,
)
from tests.appraisal.unit.sla.support import Recorder, time_skipping

HISTORIES = Path(__file__).parent / "histories"
RECORD = os.environ.get("RSC_RECORD_CASE_HISTORIES") == "1"
NAME = "appraisal_case_red_flag_path"
# One history per version of the workflow code that ran cases: before and after the local-activities patch.
HISTORY_NAMES = (
    NAME,
    "appraisal_case_red_flag_path_local_activities",
    "appraisal_case_red_flag_path_local_screen",
)


async def red_flag_path() -> WorkflowHistory:
    pid = uuid.UUID("00000000-0000-4000-8000-000000000005")
    cases, sla = CaseRecorder(screened("high", proposal_id=pid)), Recorder()
    async with time_skipping() as env, case_worker(env.client, cases, sla) as task_queue:
        handle = await env.client.start_workflow(
            AppraisalWorkflow.run, AppraisalInput(pid, 1), id=appraisal_workflow_id(pid, 1), task_queue=task_queue
        )
        await cases.wait_for(lambda actions: actions == ["open"])
        await handle.execute_update(AppraisalWorkflow.claim, ClaimRequest(OFFICER, "case_officer"))
        await handle.execute_update(AppraisalWorkflow.claim, ClaimRequest(ADVISER, "security_adviser"))
        now = await env.get_current_time()
        request_id = uuid.uuid4()
        await handle.execute_update(
            AppraisalWorkflow.request_information,
            InformationRequestRequest(OFFICER, request_id, "Ownership?", now + timedelta(days=10)),
        )
        await env.sleep(timedelta(days=20))
        await handle.signal(AppraisalWorkflow.information_provided, InformationProvided(request_id, now, "applicant"))
        await cases.wait_for(lambda actions: "information_provided" in actions)
        await handle.execute_update(
            AppraisalWorkflow.record_appraisal,
            AppraisalRequest(OFFICER, [FactorAssessment("partner_organisation", "high", "listed owner")], "summary"),
        )
        now = await env.get_current_time()
        mid = catalogue_ids()[0]
        await handle.execute_update(
            AppraisalWorkflow.decide,
            DecisionRequest(OFFICER, DecisionOutcome.cleared_with_safeguards, "Manageable with a clause.",
                            measures=[measure(mid, now)]),
        )  # fmt: skip
        await handle.execute_update(AppraisalWorkflow.confirm_decision, ReviewRequest(ADVISER))
        await handle.signal(
            AppraisalWorkflow.applicant_safeguard_response,
            ApplicantSafeguardResponse(mid, ApplicantResponseKind.accept, "ok", "applicant", now),
        )
        await cases.wait_for(lambda actions: "applicant_safeguard_response" in actions)
        await handle.execute_update(AppraisalWorkflow.verify_measure, VerifyMeasureRequest(OFFICER, mid, "checked"))
        await final_update(handle, AppraisalWorkflow.award, AwardRequest(OFFICER, "G-1", await env.get_current_time()))
        return await handle.fetch_history()


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows) or [AppraisalWorkflow, SlaClockWorkflow],
        data_converter=data_converter,
        workflow_runner=workflow_runner(),
    )


@pytest.mark.parametrize("name", HISTORY_NAMES)
async def test_the_recorded_histories_replay_on_the_current_code(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    if RECORD and not path.exists():  # new scenarios only: an existing history is never re-recorded
        path.write_text((await red_flag_path()).to_json())
    assert path.exists(), f"{path} is missing: record it with RSC_RECORD_CASE_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    assert len(history.events) >= 40
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


async def test_a_fresh_history_replays() -> None:
    await replayer().replay_workflow(await red_flag_path())


@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class WithoutSlaClock(AppraisalWorkflow):
    """A careless change: cases no longer start their SLA clock."""

    async def _start_sla_clock(self, screened, data) -> None:
        return None

    @workflow.run
    async def run(self, data: AppraisalInput) -> CaseView:
        return await super().run(data)


async def test_a_non_deterministic_change_fails_the_replay() -> None:
    history = WorkflowHistory.from_json(NAME, (HISTORIES / f"{NAME}.json").read_text())
    with pytest.raises(NondeterminismError):
        await replayer(WithoutSlaClock, SlaClockWorkflow).replay_workflow(history)
