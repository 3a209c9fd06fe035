"""Tables every service has: the transactional outbox and the consumer's processed-event ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class OutboxEvent(SQLModel, table=True):
    """An event committed with the business change that caused it; the relay publishes it."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        # The relay only ever scans unpublished rows, oldest first.
        Index("ix_outbox_event_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
    )

    id: uuid.UUID = Field(primary_key=True, description="= the envelope id")
    topic: str
    key: str
    event_type: str
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = timestamp_field()
    published_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class ProcessedEvent(SQLModel, table=True):
    """One row per (consumer group, event id): written in the handler's own transaction."""

    __tablename__ = "processed_event"

    consumer_group: str = Field(primary_key=True)
    event_id: uuid.UUID = Field(primary_key=True)
    event_type: str
    processed_at: datetime = timestamp_field()
