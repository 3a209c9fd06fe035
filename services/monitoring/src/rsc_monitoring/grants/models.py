"""Tables of funded projects (migration 0003).

- `grant_award`: one per grant, created from `grant.awarded`; its monitoring plan version and cadence.
- `obligation`: an agreed safeguard measure, now an obligation with owner, due date and evidence.
- `attestation`: the periodic attestations of the plan, one row per period from the start (scheduled),
  then submitted by the grantee and reviewed.
- `milestone_record`: deadlines the grant workflow recorded (reminders, overdue, escalations), keyed so
  a retried activity records once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class GrantAward(SQLModel, table=True):
    __tablename__ = "grant_award"

    id: uuid.UUID = Field(primary_key=True)
    reference: str = Field(unique=True)
    proposal_id: uuid.UUID = Field(index=True)
    version: int
    case_id: uuid.UUID
    organisation_id: uuid.UUID | None = Field(default=None, index=True)
    level: str
    auto_cleared: bool
    signed_at: datetime = timestamp_field()
    ends_at: datetime = timestamp_field()
    status: str = Field(description="active | ended | terminated")
    plan_version: str
    attestation_interval_months: int | None = None
    workflow_id: str
    awarded_by: str
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class Obligation(SQLModel, table=True):
    __tablename__ = "obligation"
    __table_args__ = (Index("uq_obligation_grant_measure", "grant_id", "measure_id", unique=True),)

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    grant_id: uuid.UUID = Field(foreign_key="grant_award.id")
    measure_id: str
    title: str
    owner: str
    terms: str | None = None
    evidence_required: str
    due_at: datetime = timestamp_field()
    status: str = Field(description="open | overdue | evidence_submitted | fulfilled | waived")
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    decided_by: str | None = None
    decision_note: str | None = None
    fulfilled_at: datetime | None = timestamp_field(nullable=True)
    escalated_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class Attestation(SQLModel, table=True):
    __tablename__ = "attestation"
    __table_args__ = (Index("uq_attestation_grant_period", "grant_id", "period", unique=True),)

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    grant_id: uuid.UUID = Field(foreign_key="grant_award.id")
    period: int
    due_at: datetime = timestamp_field()
    status: str = Field(description="scheduled | overdue | submitted")
    changes: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    statement: str | None = None
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    submitted_by: str | None = None
    submitted_at: datetime | None = timestamp_field(nullable=True)
    reappraisal_requested: bool = False
    escalated_at: datetime | None = timestamp_field(nullable=True)


class MilestoneRecord(SQLModel, table=True):
    __tablename__ = "milestone_record"

    key: str = Field(primary_key=True, description="<workflow id>:<milestone key>")
    grant_id: uuid.UUID = Field(index=True)
    kind: str
    item: str
    item_id: str
    due_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()
    skipped: bool = Field(default=False, description="The item was done before the workflow heard of it.")
