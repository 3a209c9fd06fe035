"""`AppraisalWorkflow`: one per proposal version (id `appraisal:<proposal>:v<version>`, so a
redelivered `proposal.submitted` starts nothing new).

1. `cases.screen` runs the engine and stores the screening (and `appraisal.screened`).
2. Low level, no red flag: cleared automatically (`appraisal.cleared`), no human involved.
   Otherwise a case opens in the officer queue and the SLA clock starts as a child workflow.
3. Officer actions arrive as updates; each validator runs the case machine's check, so an invalid
   request is refused before anything is written. Applicant answers, safeguard responses, withdrawal
   and supersession arrive as signals from the Kafka handlers.
4. Every accepted action is one `CaseChange`, recorded in order by `cases.record_change` (audit row,
   read model, outbox events, exactly once per key); an update returns once its change is recorded.
5. The workflow ends when the case is final (awarded, not fundable, withdrawn, superseded).

The SLA clock is steered by signals (pause while waiting on the applicant or a referral, resume,
stop at the decision); the clock keeps its own history and read model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from rsc_appraisal.cases.activities import CaseActivities
    from rsc_appraisal.cases.contracts import (
        ApplicantSafeguardResponse,
        AppraisalInput,
        AppraisalRequest,
        AssignRequest,
        AwardRequest,
        CaseChange,
        CaseView,
        ClaimRequest,
        ClockRequest,
        CloseSignal,
        DecisionRequest,
        InformationProvided,
        InformationRequestRequest,
        NoteRequest,
        ReassignRequest,
        ReferralAnswer,
        ReferralRequest,
        ReviewRequest,
        ReviseMeasureRequest,
        ScreenRequest,
        VerifyMeasureRequest,
    )
    from rsc_appraisal.cases.machine import CaseMachine, CaseRequestError
    from rsc_appraisal.cases.states import Action, CaseStatus
    from rsc_appraisal.sla.contracts import (
        PauseRequest,
        ResumeRequest,
        SlaOutcome,
        StopRequest,
        sla_clock_id,
    )
    from rsc_appraisal.sla.workflow import SlaClockWorkflow

WORKFLOW_NAME = "AppraisalWorkflow"
REJECTED = "CaseRequestRejected"
# How long one attempt may take before Temporal retries it elsewhere: also how long a step waits after its
# worker died mid-attempt. Screening a proposal takes milliseconds once the worker's list index is built
# (a cold worker builds it first: seconds for the demo lists, about a minute for 1M names).
SCREEN_TIMEOUT = timedelta(minutes=2)
RECORD_TIMEOUT = timedelta(seconds=20)
# Transient failures (database, broker) are retried until they pass: a recorded change is never lost.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))

# Recording a change and building the clock input are short database / file reads: since this patch they run
# as local activities (no server round trip per step, which roughly halves the Temporal work per proposal).
# Histories recorded before it keep replaying with regular activities.
LOCAL_ACTIVITIES_PATCH = "cases-local-activities-2026-12"
# The screening itself too (a longer local activity keeps its workflow task alive by heartbeats).
LOCAL_SCREEN_PATCH = "cases-local-screen-2026-12"

_STOP_OUTCOME = {
    CaseStatus.cleared: SlaOutcome.cleared,
    CaseStatus.safeguards_pending: SlaOutcome.cleared_with_safeguards,
    CaseStatus.not_fundable: SlaOutcome.not_fundable,
    CaseStatus.withdrawn: SlaOutcome.withdrawn,
    CaseStatus.superseded: SlaOutcome.superseded,
}


@workflow.defn(name=WORKFLOW_NAME)
class AppraisalWorkflow:
    @workflow.init
    def __init__(self, data: AppraisalInput) -> None:
        self._data = data
        self._machine: CaseMachine | None = None
        self._pending: list[CaseChange] = []
        self._recorded_seq = 0
        self._sla = None  # the SLA clock child's handle, once started
        self._sla_stop_sent = False
        self._sla_signals: list[tuple[Callable, object]] = []
        self._early_close: tuple[Action, CloseSignal] | None = None  # withdrawn while being screened
        self._ignored_signals: list[str] = []

    @workflow.run
    async def run(self, data: AppraisalInput) -> CaseView:
        request = ScreenRequest(proposal_id=data.proposal_id, version=data.version)
        if workflow.patched(LOCAL_SCREEN_PATCH):
            # in the workflow's own task: no activity dispatch through the server, the screening, the first
            # change and (for a case) the clock start complete in one or two workflow tasks
            screened = await workflow.execute_local_activity_method(
                CaseActivities.screen, request, start_to_close_timeout=SCREEN_TIMEOUT, retry_policy=RETRY
            )
        else:
            screened = await workflow.execute_activity_method(
                CaseActivities.screen, request, start_to_close_timeout=SCREEN_TIMEOUT, retry_policy=RETRY
            )
        machine = CaseMachine(workflow.info().workflow_id, screened, data.proposal_id, data.version)
        self._machine = machine
        now = workflow.now()
        if self._early_close is not None:
            action, signal = self._early_close
            self._add(machine.close(action, signal, now))
        elif screened.auto_clear:
            self._add(machine.auto_clear(now))
        else:
            self._add(machine.open(now))
            await self._record_pending()
            await self._start_sla_clock(screened, data)
        while True:
            await self._record_pending()
            await self._signal_sla()
            if machine.final:
                break
            await workflow.wait_condition(lambda: bool(self._pending) or bool(self._sla_signals))
        if self._sla is not None and self._sla_stop_sent:
            # let the clock record its stop before this workflow closes: closing cancels a running child,
            # which would record "cancelled" instead of the case's outcome
            with contextlib.suppress(ChildWorkflowError):
                await self._sla
        await workflow.wait_condition(workflow.all_handlers_finished)
        return machine.view()

    # ------------------------------------------------------------------------------ internals

    async def _start_sla_clock(self, screened, data: AppraisalInput) -> None:
        clock_input = await self._short_activity(
            CaseActivities.clock_input,
            ClockRequest(
                case_ref=screened.case_ref,
                proposal_id=data.proposal_id,
                version=data.version,
                level=screened.route.sla_level,
                started_at=workflow.now(),
                programme=screened.programme,
                call_closes_at=screened.call_closes_at,
            ),
        )
        self._sla = await workflow.start_child_workflow(
            SlaClockWorkflow.run,
            clock_input,
            id=sla_clock_id(data.proposal_id, data.version),
            task_queue=data.sla_task_queue or workflow.info().task_queue,
            # the case decides when the clock stops; if the case goes away, the clock records a cancellation
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
        )

    def _add(self, change: CaseChange | None) -> None:
        if change is None:
            return
        self._pending.append(change)
        self._plan_sla(change)

    def _plan_sla(self, change: CaseChange) -> None:
        """What the change means for the SLA clock (sent once the clock runs, in order)."""
        actor = change.actor.subject
        if change.action == Action.request_information:
            request = PauseRequest(
                reason="information requested from the applicant",
                actor=actor,
                request_ref=change.details.get("request_id"),
            )
            self._sla_signals.append((SlaClockWorkflow.signal_pause, request))
        elif change.action == Action.refer:
            request = PauseRequest(reason=f"referred: {change.details.get('authority')}", actor=actor)
            self._sla_signals.append((SlaClockWorkflow.signal_pause, request))
        elif change.action in (Action.information_provided, Action.referral_answered):
            self._sla_signals.append((SlaClockWorkflow.signal_resume, ResumeRequest(actor=actor, note=change.summary)))
        elif change.from_status != change.to_status and change.to_status in _STOP_OUTCOME and not self._sla_stop_sent:
            # the clock measures the appraisal: it stops at the decision (or when the case closes before)
            self._sla_stop_sent = True
            stop = StopRequest(outcome=_STOP_OUTCOME[change.to_status], actor=actor)
            self._sla_signals.append((SlaClockWorkflow.signal_stop, stop))

    async def _record_pending(self) -> None:
        while self._pending:
            change = self._pending[0]
            await self._short_activity(
                CaseActivities.record_change, change, summary=f"{change.action.value} #{change.seq}"
            )
            self._pending.pop(0)
            self._recorded_seq = change.seq

    async def _short_activity(self, method, arg, summary: str | None = None):
        if workflow.patched(LOCAL_ACTIVITIES_PATCH):
            return await workflow.execute_local_activity_method(
                method, arg, start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RETRY, summary=summary
            )
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RETRY, summary=summary
        )

    async def _signal_sla(self) -> None:
        while self._sla_signals:
            method, request = self._sla_signals.pop(0)
            if self._sla is None:
                continue  # no clock (cleared automatically, or closed before the case opened)
            try:
                await self._sla.signal(method, request)
            except ApplicationError as exc:  # the clock ended already (e.g. terminated by an operator)
                workflow.logger.warning("SLA clock not signalled (%s): %s", method.__name__, exc)

    def _require_machine(self) -> CaseMachine:
        if self._machine is None:
            raise ApplicationError("the proposal is still being screened", type=REJECTED, non_retryable=True)
        return self._machine

    def _validate(self, check: Callable[[CaseMachine], None]) -> None:
        machine = self._machine
        if machine is None:
            # Still screening (e.g. re-running its first task after a worker died, while the read model
            # already shows the case): accept, the handler waits for the case and checks it then.
            return
        try:
            check(machine)
        except CaseRequestError as exc:
            raise ApplicationError(str(exc), type=REJECTED, non_retryable=True) from None

    async def _apply(self, apply: Callable[[CaseMachine], CaseChange]) -> CaseView:
        await workflow.wait_condition(lambda: self._machine is not None)
        machine = self._require_machine()
        try:
            change = apply(machine)
        except CaseRequestError as exc:  # the validator passed, but an earlier update changed the case meanwhile
            raise ApplicationError(str(exc), type=REJECTED, non_retryable=True) from None
        self._add(change)
        await workflow.wait_condition(lambda: self._recorded_seq >= change.seq)
        return machine.view()

    def _signal(self, name: str, apply: Callable[[CaseMachine], CaseChange | None]) -> None:
        if self._machine is None:
            self._ignored_signals.append(f"{name}: still being screened")
            workflow.logger.warning("signal %s ignored: still being screened", name)
            return
        try:
            self._add(apply(self._machine))
        except CaseRequestError as exc:  # a signal cannot be refused to its sender: noted, nothing changes
            self._ignored_signals.append(f"{name}: {exc}")
            workflow.logger.warning("signal %s ignored: %s", name, exc)

    # ------------------------------------------------------------------------------ officer updates

    @workflow.update
    async def claim(self, r: ClaimRequest) -> CaseView:
        return await self._apply(lambda m: m.claim(r, workflow.now()))

    @claim.validator
    def _v_claim(self, r: ClaimRequest) -> None:
        self._validate(lambda m: m.check_claim(r))

    @workflow.update
    async def assign(self, r: AssignRequest) -> CaseView:
        return await self._apply(lambda m: m.assign(r, workflow.now()))

    @assign.validator
    def _v_assign(self, r: AssignRequest) -> None:
        self._validate(lambda m: m.check_assign(r))

    @workflow.update
    async def reassign(self, r: ReassignRequest) -> CaseView:
        return await self._apply(lambda m: m.reassign(r, workflow.now()))

    @reassign.validator
    def _v_reassign(self, r: ReassignRequest) -> None:
        self._validate(lambda m: m.check_reassign(r))

    @workflow.update
    async def add_note(self, r: NoteRequest) -> CaseView:
        return await self._apply(lambda m: m.add_note(r, workflow.now()))

    @add_note.validator
    def _v_add_note(self, r: NoteRequest) -> None:
        self._validate(lambda m: m.check_note(r))

    @workflow.update
    async def request_information(self, r: InformationRequestRequest) -> CaseView:
        return await self._apply(lambda m: m.request_information(r, workflow.now()))

    @request_information.validator
    def _v_request_information(self, r: InformationRequestRequest) -> None:
        self._validate(lambda m: m.check_request_information(r, workflow.now()))

    @workflow.update
    async def record_appraisal(self, r: AppraisalRequest) -> CaseView:
        return await self._apply(lambda m: m.record_appraisal(r, workflow.now()))

    @record_appraisal.validator
    def _v_record_appraisal(self, r: AppraisalRequest) -> None:
        self._validate(lambda m: m.check_record_appraisal(r))

    @workflow.update
    async def decide(self, r: DecisionRequest) -> CaseView:
        return await self._apply(lambda m: m.decide(r, workflow.now()))

    @decide.validator
    def _v_decide(self, r: DecisionRequest) -> None:
        self._validate(lambda m: m.check_decide(r, workflow.now()))

    @workflow.update
    async def confirm_decision(self, r: ReviewRequest) -> CaseView:
        return await self._apply(lambda m: m.confirm_decision(r, workflow.now()))

    @confirm_decision.validator
    def _v_confirm_decision(self, r: ReviewRequest) -> None:
        self._validate(lambda m: m.check_confirm(r))

    @workflow.update
    async def return_decision(self, r: ReviewRequest) -> CaseView:
        return await self._apply(lambda m: m.return_decision(r, workflow.now()))

    @return_decision.validator
    def _v_return_decision(self, r: ReviewRequest) -> None:
        self._validate(lambda m: m.check_return(r))

    @workflow.update
    async def refer(self, r: ReferralRequest) -> CaseView:
        return await self._apply(lambda m: m.refer(r, workflow.now()))

    @refer.validator
    def _v_refer(self, r: ReferralRequest) -> None:
        self._validate(lambda m: m.check_refer(r))

    @workflow.update
    async def record_referral_answer(self, r: ReferralAnswer) -> CaseView:
        return await self._apply(lambda m: m.referral_answered(r, workflow.now()))

    @record_referral_answer.validator
    def _v_record_referral_answer(self, r: ReferralAnswer) -> None:
        self._validate(lambda m: m.check_referral_answer(r))

    @workflow.update
    async def revise_measure(self, r: ReviseMeasureRequest) -> CaseView:
        return await self._apply(lambda m: m.revise_measure(r, workflow.now()))

    @revise_measure.validator
    def _v_revise_measure(self, r: ReviseMeasureRequest) -> None:
        self._validate(lambda m: m.check_revise(r, workflow.now()))

    @workflow.update
    async def verify_measure(self, r: VerifyMeasureRequest) -> CaseView:
        return await self._apply(lambda m: m.verify_measure(r, workflow.now()))

    @verify_measure.validator
    def _v_verify_measure(self, r: VerifyMeasureRequest) -> None:
        self._validate(lambda m: m.check_verify(r))

    @workflow.update
    async def award(self, r: AwardRequest) -> CaseView:
        return await self._apply(lambda m: m.award(r, workflow.now()))

    @award.validator
    def _v_award(self, r: AwardRequest) -> None:
        self._validate(lambda m: m.check_award(r, workflow.now()))

    # ------------------------------------------------------------------------------ signals (from Kafka)

    @workflow.signal
    def information_provided(self, r: InformationProvided) -> None:
        self._signal("information_provided", lambda m: m.information_provided(r, workflow.now()))

    @workflow.signal
    def applicant_safeguard_response(self, r: ApplicantSafeguardResponse) -> None:
        self._signal("applicant_safeguard_response", lambda m: m.applicant_response(r, workflow.now()))

    @workflow.signal
    def withdraw(self, r: CloseSignal) -> None:
        self._close(Action.withdraw, r)

    @workflow.signal
    def supersede(self, r: CloseSignal) -> None:
        self._close(Action.supersede, r)

    def _close(self, action: Action, r: CloseSignal) -> None:
        if self._machine is None:
            self._early_close = self._early_close or (action, r)
            return
        self._add(self._machine.close(action, r, workflow.now()))

    # ------------------------------------------------------------------------------ query

    @workflow.query
    def view(self) -> CaseView:
        return self._require_machine().view()

    @workflow.query
    def ignored_signals(self) -> list[str]:
        return list(self._ignored_signals)
