"""The audit consumer: every domain event of every service becomes a chained audit entry.

A batch handler (rsc_common's consumer hands it runs of consecutive records): one lock of the chain
head per run instead of per event. Idempotent by itself (an event already in the log is skipped), as
batch handlers must be.
"""

from __future__ import annotations

from sqlmodel import Session

from rsc_common.events import BatchHandler, EventData, EventEnvelope, registered
from rsc_monitoring.audit.describe import describe
from rsc_monitoring.audit.service import append

GROUP_ID = "rsc-monitoring-audit"


def on_events(session: Session, events: list[tuple[EventEnvelope, EventData]]) -> None:
    append(session, [describe(envelope) for envelope, _data in events])


def audit_handlers() -> dict[str, BatchHandler]:
    return {event_type: on_events for event_type, _version in registered()}
