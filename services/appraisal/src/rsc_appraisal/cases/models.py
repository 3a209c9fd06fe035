"""Tables of the casework (migration 0004).

- `appraisal_case`: the read model of each case (one per proposal version) for the queue, detail and
  statistics; written only by the `cases.record_change` activity, from the workflow's changes.
- `case_change`: the audit trail, append-only: who, when, what, status before and after, the case's
  state before and after. Its `key` (workflow id and sequence number) makes recording idempotent.
  Nothing updates or deletes its rows (the API has no such route; the table is not a timeline).
- `case_note`: need-to-know notes, kept apart so the audit trail and events never carry their text.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class AppraisalCase(SQLModel, table=True):
    __tablename__ = "appraisal_case"
    __table_args__ = (
        Index("ix_case_proposal_version", "proposal_id", "version", unique=True),
        Index("ix_case_active", "status", "level", postgresql_where=text("closed_at IS NULL")),
        Index("ix_case_assignees", "assignees", postgresql_using="gin"),
    )

    id: uuid.UUID = Field(primary_key=True)
    case_ref: str = Field(index=True)
    proposal_id: uuid.UUID
    version: int
    workflow_id: str
    call_identifier: str = Field(index=True)
    programme: str | None = None
    screening_id: uuid.UUID
    level: str
    status: str
    auto_cleared: bool = False
    flag_count: int = 0
    route: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    assignees: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    # the current state as the workflow sees it (decision, proposed decision, measures, open request...)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    measures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    organisation_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    last_seq: int = 0
    received_at: datetime = timestamp_field()
    opened_at: datetime | None = timestamp_field(nullable=True)
    decided_at: datetime | None = timestamp_field(nullable=True)
    cleared_at: datetime | None = timestamp_field(nullable=True)
    closed_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class CaseChangeRow(SQLModel, table=True):
    __tablename__ = "case_change"
    __table_args__ = (Index("ix_case_change_case", "case_id", "seq", unique=True),)

    key: str = Field(primary_key=True)
    case_id: uuid.UUID
    seq: int
    action: str
    actor: str
    actor_roles: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    from_status: str
    to_status: str
    summary: str
    before: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    after: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    at: datetime = timestamp_field(default_now=False)
    recorded_at: datetime = timestamp_field()


class CaseNote(SQLModel, table=True):
    __tablename__ = "case_note"

    id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(index=True)
    author: str
    body: str
    created_at: datetime = timestamp_field(default_now=False)
