"""Tables of the SLA clocks (migration 0003).

`sla_clock` is the read model of each clock for the officer queue ("SLA due within N days",
"overdue", "at risk"): one row per clock, upserted with every notice the clock records, and only ever
overwritten by a later notice (`last_seq`). Between two notices the used/remaining figures are as of
`as_of`; the live figures come from the workflow's `state` query.

`sla_clock_event` is the idempotency ledger: one row per notice key, written in the same transaction
as the outbox row, so a retried activity never emits an event twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class SlaClockRow(SQLModel, table=True):
    __tablename__ = "sla_clock"
    __table_args__ = (
        # Queue filters: open clocks by due date ("due within N days", "overdue"), at-risk ones.
        Index("ix_sla_clock_open_due", "due_at", postgresql_where=text("status <> 'stopped'")),
        Index("ix_sla_clock_proposal", "proposal_id", "version"),
    )

    clock_id: str = Field(primary_key=True)
    case_ref: str = Field(index=True)
    proposal_id: uuid.UUID
    version: int
    programme: str
    config_version: str
    calendar_id: str
    level: str
    status: str = Field(description="running | paused | stopped")
    outcome: str | None = None
    paused: bool
    paused_since: datetime | None = timestamp_field(nullable=True)
    started_at: datetime = timestamp_field(default_now=False)
    due_at: datetime = timestamp_field(default_now=False)
    budget_working_days: int
    extension_working_days: int
    used_working_days: float
    remaining_working_days: float
    breached: bool
    breached_at: datetime | None = timestamp_field(nullable=True)
    escalated_at: datetime | None = timestamp_field(nullable=True)
    projected_breach: bool
    time_to_grant_due_at: datetime | None = timestamp_field(nullable=True)
    last_seq: int
    as_of: datetime = timestamp_field(default_now=False)
    updated_at: datetime = timestamp_field()


class SlaClockEventRow(SQLModel, table=True):
    __tablename__ = "sla_clock_event"

    key: str = Field(primary_key=True, description="(clock, kind, fraction, round) or (clock, kind, seq)")
    clock_id: str = Field(index=True)
    seq: int
    kind: str
    event_type: str
    event_id: uuid.UUID | None = Field(default=None, description="The outbox row / envelope id.")
    created_at: datetime = timestamp_field()
