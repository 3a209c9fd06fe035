"""Activities of the appraisal workflow (synchronous, database-bound: run in the worker's thread pool).

- `cases.screen`: the engine on the stored snapshot (reusing the version's submission screening if an
  earlier attempt made it), and the case's read-model row; returns what the case needs.
- `cases.clock_input`: the SLA clock's input from the configuration files (not allowed in workflow code).
- `cases.record_change`: one `CaseChange` into the audit trail, read model and outbox, exactly once.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from rsc_appraisal.cases import service
from rsc_appraisal.cases.contracts import CaseChange, ClockRequest, RecordResult, ScreenOutcome, ScreenRequest
from rsc_appraisal.screenings.context import CONTEXT
from rsc_appraisal.sla.client import clock_input
from rsc_appraisal.sla.contracts import SlaClockInput
from rsc_common.http.problem import ProblemError


class CaseActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    @activity.defn(name="cases.screen")
    def screen(self, request: ScreenRequest) -> ScreenOutcome:
        with self._session() as session:
            try:
                outcome = service.screen_for_case(session, CONTEXT.get(session), request.proposal_id, request.version)
            except ProblemError as exc:
                # The snapshot is written by the same consumer transaction that starts this workflow:
                # until it commits, retry (a real absence shows as repeated attempts in the UI).
                raise ApplicationError(f"snapshot not available yet: {exc.detail}", type="SnapshotMissing") from exc
            session.commit()
            return outcome

    @activity.defn(name="cases.clock_input")
    def clock_input(self, request: ClockRequest) -> SlaClockInput:
        return clock_input(
            case_ref=request.case_ref,
            proposal_id=request.proposal_id,
            version=request.version,
            level=request.level,
            started_at=request.started_at,
            programme=request.programme,
            call_closes_at=request.call_closes_at,
        )

    @activity.defn(name="cases.record_change")
    def record_change(self, change: CaseChange) -> RecordResult:
        with self._session() as session:
            recorded = service.record_change(session, change)
            if recorded:
                session.commit()
            else:
                session.rollback()
                activity.logger.info("case change %s was recorded by an earlier attempt", change.key)
        return RecordResult(key=change.key, recorded=recorded)


def case_activities(engine: Engine) -> list:
    instance = CaseActivities(engine)
    return [instance.screen, instance.clock_input, instance.record_change]
