"""The incident workflow's activities: read the pending deadlines, record a due one (read model +
outbox event, once per key). The database is the truth; the workflow only keeps time."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from rsc_monitoring.incidents import service
from rsc_monitoring.incidents.contracts import IncidentRef, PendingDeadline, PendingDeadlines, RecordDeadline
from rsc_monitoring.incidents.policy import default_policy


class IncidentActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="incidents.pending_deadlines")
    def pending(self, ref: IncidentRef) -> PendingDeadlines:
        with Session(self._engine) as session:
            pending, closed = service.pending_deadlines(session, default_policy(), ref.incident_id)
        return PendingDeadlines(deadlines=[PendingDeadline(key=d.key, at=d.at) for d in pending], closed=closed)

    @activity.defn(name="incidents.record_deadline")
    def record(self, data: RecordDeadline) -> bool:
        with Session(self._engine) as session:
            recorded = service.record_deadline(session, default_policy(), data.incident_id, data.key)
            session.commit()
            return recorded


def incident_activities(engine: Engine) -> list:
    activities = IncidentActivities(engine)
    return [activities.pending, activities.record]
