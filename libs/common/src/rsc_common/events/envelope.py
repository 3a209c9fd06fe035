"""The versioned event envelope every RSC event travels in (CloudEvents-like attribute names).

`data` is validated against the event type's model from the catalogue; the envelope itself is
schema version 1. Trace context rides both in Kafka headers (for the live trace) and in the
envelope (so a dead-lettered or replayed event still links to the trace that produced it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ENVELOPE_VERSION = 1
# Kafka headers the outbox relay sets on every record: consumers read the type to skip records that are
# not theirs without parsing the envelope.
EVENT_TYPE_HEADER = "event_type"
EVENT_ID_HEADER = "event_id"


class EventData(BaseModel):
    """Base of every event's payload. Subclasses declare their type, topic and schema version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    schema_version: ClassVar[int] = 1


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    envelope_version: int = Field(default=ENVELOPE_VERSION, description="Version of this envelope layout.")
    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique event id; the deduplication key.")
    type: str = Field(description="Event type, e.g. `proposal.submitted`.", min_length=3)
    schema_version: int = Field(ge=1, description="Version of the `data` schema for this type.")
    source: str = Field(description="Producing service, e.g. `rsc-intake`.", min_length=1)
    subject: str = Field(description="The aggregate the event is about (its id); also the Kafka key.")
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = Field(default=None, description="W3C trace context of the producing request.")
    tracestate: str | None = None
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        return cls.model_validate_json(raw)
