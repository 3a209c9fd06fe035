"""`SlaClockWorkflow`: the security-appraisal SLA clock of one case (proposal version).

The updatable-timer pattern: the main loop records what is pending, fires the milestones that are
due, then waits with `workflow.wait_condition(..., timeout=<until the next milestone>)`; any update
or signal that changes the clock wakes it up, and the timeout is computed again from the new state
(a pause waits without timeout, an extension moves the next milestone later, ...).

Updates (validated before anything happens; the answer is the new `SlaState`, returned once the
change's event is in the outbox): `pause`, `resume`, `extend`, `change_level`, `stop`.
Signals with the same requests, for callers that cannot send updates (another workflow, e.g. the
casework workflow through a child or external handle): `signal_pause`, `signal_resume`,
`signal_extend`, `signal_change_level`, `signal_stop`. A signal cannot be refused to its sender, so
an invalid one changes nothing and is listed in `SlaState.rejected_signals`.
Query: `state(at)`; pass the caller's current time (`client.current_state` does): a query cannot
know it, and between two milestones the workflow does not wake up.
Result: the final `SlaState` once stopped.

All the arithmetic is in `SlaClock` (pure, deterministic: `workflow.now()` is the only time source);
every side effect is the `sla.record` activity (outbox event + read-model row, exactly once per key).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from rsc_appraisal.sla.activities import SlaActivities
    from rsc_appraisal.sla.clock import SlaClock, SlaRequestError
    from rsc_appraisal.sla.contracts import (
        WORKFLOW_NAME,
        ChangeLevelRequest,
        ExtendRequest,
        PauseRequest,
        RecordSlaInput,
        ResumeRequest,
        SlaClockInput,
        SlaOutcome,
        SlaState,
        StopRequest,
    )

RECORD_TIMEOUT = timedelta(seconds=30)
# No maximum of attempts: a database outage delays the notices, it does not lose them.
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)
REJECTED = "SlaRequestRejected"
INVALID_INPUT = "InvalidSlaClockInput"

Apply = Callable[[SlaClock, datetime], list[RecordSlaInput]]


@workflow.defn(name=WORKFLOW_NAME)
class SlaClockWorkflow:
    @workflow.init
    def __init__(self, data: SlaClockInput) -> None:
        self._pending: list[RecordSlaInput] = []
        self._recorded_seq = 0
        self._changed = False
        self._unrecorded: list[str] = []
        self._clock: SlaClock | None = None
        self._error: str | None = None
        try:
            self._clock = SlaClock(workflow.info().workflow_id, data)
        except ValueError as exc:  # SlaInputError, or an instant without time zone
            self._error = str(exc)
            return
        self._pending.extend(self._clock.start(workflow.now()))

    @workflow.run
    async def run(self, data: SlaClockInput) -> SlaState:
        if self._clock is None:
            raise ApplicationError(f"cannot start the SLA clock: {self._error}", type=INVALID_INPUT, non_retryable=True)
        clock = self._clock
        try:
            while True:
                await self._record_pending()
                if clock.stopped:
                    break
                now = workflow.now()
                fired = clock.fire_due(now)
                if fired:
                    self._pending.extend(fired)
                    continue
                upcoming = clock.next_milestone(now)
                self._changed = False
                if upcoming is None:  # paused, or every milestone fired: only a change can move the clock
                    await workflow.wait_condition(lambda: self._changed or bool(self._pending))
                    continue
                milestone, at = upcoming
                with contextlib.suppress(TimeoutError):  # timed out: the milestone is due, fired on the next turn
                    await workflow.wait_condition(
                        lambda: self._changed or bool(self._pending),
                        timeout=at - now,
                        timeout_summary=f"SLA {milestone.kind.value} at {milestone.fraction:g}",
                    )
        except asyncio.CancelledError:
            # Cancelled (e.g. the parent casework workflow went away): close the clock properly.
            if not clock.stopped:
                self._pending.extend(clock.stop(workflow.now(), StopRequest(SlaOutcome.cancelled)))
            await self._record_pending()
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        return clock.state(workflow.now())

    async def _record_pending(self) -> None:
        """Record the pending notices one after the other, in the order they happened."""
        while self._pending:
            item = self._pending[0]
            try:
                await workflow.execute_activity_method(
                    SlaActivities.record,
                    item,
                    start_to_close_timeout=RECORD_TIMEOUT,
                    retry_policy=RECORD_RETRY,
                    summary=item.notice.key,
                    # recording is idempotent (keyed): a cancellation need not chase an attempt in flight;
                    # the notice stays pending and is recorded again (a no-op) before the stop
                    cancellation_type=ActivityCancellationType.ABANDON,
                )
            except ActivityError as exc:
                if is_cancelled_exception(exc):
                    # The workflow was cancelled while this record was in flight (an abandoned activity
                    # resolves as "cancelled"): the cancellation must reach `run`, which stops the clock;
                    # swallowing it here left the clock running for ever. The notice stays pending and is
                    # recorded again (idempotent) before the stop.
                    raise asyncio.CancelledError from exc
                # Otherwise only a non-retryable failure gets here (a notice the activity refuses): the
                # clock goes on, the state lists the key.
                workflow.logger.error("SLA notice %s was not recorded: %s", item.notice.key, exc)
                self._unrecorded.append(item.notice.key)
            self._pending.pop(0)
            self._recorded_seq = item.notice.seq

    # -------------------------------------------------------------------------------- helpers

    def _require_clock(self) -> SlaClock:
        if self._clock is None:
            raise ApplicationError(f"the SLA clock did not start: {self._error}", type=REJECTED, non_retryable=True)
        return self._clock

    def _validate(self, check: Callable[[SlaClock], None]) -> None:
        clock = self._require_clock()
        try:
            check(clock)
        except SlaRequestError as exc:
            raise ApplicationError(str(exc), type=REJECTED, non_retryable=True) from None

    async def _update(self, apply: Apply) -> SlaState:
        clock = self._require_clock()
        try:
            records = apply(clock, workflow.now())
        except SlaRequestError as exc:  # the validator ran the same check: only if the state moved
            raise ApplicationError(str(exc), type=REJECTED, non_retryable=True) from None
        self._pending.extend(records)
        self._changed = True
        if records:
            last = records[-1].notice.seq
            await workflow.wait_condition(lambda: self._recorded_seq >= last)
        return clock.state(workflow.now())

    def _signal(self, name: str, apply: Apply) -> None:
        if self._clock is None:
            workflow.logger.warning("signal %s ignored: the SLA clock did not start", name)
            return
        try:
            records = apply(self._clock, workflow.now())
        except SlaRequestError as exc:
            workflow.logger.warning("signal %s rejected: %s", name, exc)
            self._clock.reject(name, str(exc), workflow.now())
            return
        self._pending.extend(records)
        self._changed = True

    # -------------------------------------------------------------------------------- updates

    @workflow.update
    async def pause(self, request: PauseRequest) -> SlaState:
        return await self._update(lambda clock, now: clock.pause(now, request))

    @pause.validator
    def _validate_pause(self, request: PauseRequest) -> None:
        self._validate(lambda clock: clock.check_pause(request))

    @workflow.update
    async def resume(self, request: ResumeRequest) -> SlaState:
        return await self._update(lambda clock, now: clock.resume(now, request))

    @resume.validator
    def _validate_resume(self, request: ResumeRequest) -> None:
        self._validate(lambda clock: clock.check_resume(request))

    @workflow.update
    async def extend(self, request: ExtendRequest) -> SlaState:
        return await self._update(lambda clock, now: clock.extend(now, request))

    @extend.validator
    def _validate_extend(self, request: ExtendRequest) -> None:
        self._validate(lambda clock: clock.check_extend(request))

    @workflow.update
    async def change_level(self, request: ChangeLevelRequest) -> SlaState:
        return await self._update(lambda clock, now: clock.change_level(now, request))

    @change_level.validator
    def _validate_change_level(self, request: ChangeLevelRequest) -> None:
        self._validate(lambda clock: clock.check_change_level(request))

    @workflow.update
    async def stop(self, request: StopRequest) -> SlaState:
        return await self._update(lambda clock, now: clock.stop(now, request))

    @stop.validator
    def _validate_stop(self, request: StopRequest) -> None:
        self._validate(lambda clock: clock.check_stop(request))

    # -------------------------------------------------------------------------------- signals

    @workflow.signal
    def signal_pause(self, request: PauseRequest) -> None:
        self._signal("signal_pause", lambda clock, now: clock.pause(now, request))

    @workflow.signal
    def signal_resume(self, request: ResumeRequest) -> None:
        self._signal("signal_resume", lambda clock, now: clock.resume(now, request))

    @workflow.signal
    def signal_extend(self, request: ExtendRequest) -> None:
        self._signal("signal_extend", lambda clock, now: clock.extend(now, request))

    @workflow.signal
    def signal_change_level(self, request: ChangeLevelRequest) -> None:
        self._signal("signal_change_level", lambda clock, now: clock.change_level(now, request))

    @workflow.signal
    def signal_stop(self, request: StopRequest) -> None:
        self._signal("signal_stop", lambda clock, now: clock.stop(now, request))

    # -------------------------------------------------------------------------------- queries

    @workflow.query
    def state(self, at: datetime | None = None) -> SlaState:
        """The clock as of `at` (the caller's now). Without it, as of the workflow's last activation:
        a query cannot know the time, and between two milestones the workflow does not wake up."""
        now = workflow.now() if at is None else max(at, workflow.now())
        state = self._require_clock().state(now)
        if self._unrecorded:
            state.warnings.append(f"notices not recorded: {', '.join(self._unrecorded)}")
        return state
