"""Transactional outbox: write side.

`add_event` stages the event in the caller's session; it is committed in the same transaction
as the business change, so an event exists if and only if the change does. `outbox_row` gives the
same row as column values, for hot paths that write without ORM objects (e.g. as one CTE of a
statement that makes the change); it must likewise be written in the transaction of the change.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from rsc_common.events.envelope import EventData, EventEnvelope
from rsc_common.events.models import OutboxEvent
from rsc_common.telemetry import current_trace_carrier

OUTBOX_TABLE = OutboxEvent.__table__


def _envelope(data: EventData, *, subject: str, source: str) -> tuple[EventEnvelope, dict[str, str]]:
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
    return envelope, carrier


def add_event(session: Session, data: EventData, *, subject: str, source: str) -> EventEnvelope:
    envelope, carrier = _envelope(data, subject=subject, source=source)
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


def outbox_row(data: EventData, *, subject: str, source: str) -> tuple[EventEnvelope, dict[str, Any]]:
    """The envelope of `data` and its outbox row: a value for every column of `OUTBOX_TABLE`."""
    envelope, carrier = _envelope(data, subject=subject, source=source)
    return envelope, {
        "id": envelope.id,
        "topic": data.topic,
        "key": subject,
        "event_type": envelope.type,
        "payload": envelope.model_dump(mode="json"),
        "headers": carrier,
        "created_at": envelope.time,
        "published_at": None,
        "attempts": 0,
        "last_error": None,
    }
