"""The grant workflow's only side effect: recording a due milestone (read model + outbox event)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from rsc_monitoring.grants import service
from rsc_monitoring.grants.contracts import MilestoneOutcome, RecordMilestone


class GrantActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="grants.record_milestone")
    def record_milestone(self, milestone: RecordMilestone) -> MilestoneOutcome:
        with Session(self._engine) as session:
            outcome = service.record_milestone(session, milestone)
            session.commit()
            return outcome


def grant_activities(engine: Engine) -> list:
    return [GrantActivities(engine).record_milestone]
