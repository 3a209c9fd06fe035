"""Transactional outbox: write side.

`add_event` stages the event in the caller's session; it is committed in the same transaction
as the business change, so an event exists if and only if the change does.
"""

from __future__ import annotations

from sqlmodel import Session

from rsc_common.events.envelope import EventData, EventEnvelope
from rsc_common.events.models import OutboxEvent
from rsc_common.telemetry import current_trace_carrier


def add_event(session: Session, data: EventData, *, subject: str, source: str) -> EventEnvelope:
    carrier = current_trace_carrier()
    envelope = EventEnvelope(
        type=data.event_type,
        schema_version=data.schema_version,
        source=source,
        subject=subject,
        traceparent=carrier.get("traceparent"),
        tracestate=carrier.get("tracestate"),
        data=data.model_dump(mode="json"),
    )
    session.add(
        OutboxEvent(
            id=envelope.id,
            topic=data.topic,
            key=subject,
            event_type=envelope.type,
            payload=envelope.model_dump(mode="json"),
            headers=carrier,
        )
    )
    return envelope
