"""Tables of incident handling (migration 0004).

- `incident`: the incident and where its handling stands; its description is not here (need-to-know).
- `incident_evidence`: the description, notes and evidence, readable only by the incident's assignees
  and security advisers (and, for what they submitted, the grantee).
- `incident_measure`: measures decided on the incident, tracked until done or cancelled.
- `incident_change`: every accepted transition, append-only (the API has no route that edits it).
- `deadline_record`: deadlines the incident workflow recorded, keyed so a retry records once.
- `exercise`: resilience exercises; their incidents carry `exercise_id`.
- `tip_rate`: the tip channel's rate-limit counters (a keyed hash of the source, current hour only).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class Exercise(SQLModel, table=True):
    __tablename__ = "exercise"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    name: str
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    created_by: str
    created_at: datetime = timestamp_field()


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "status", "severity", postgresql_where="status <> 'closed'"),)

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    reference: str = Field(unique=True)
    grant_id: uuid.UUID | None = Field(default=None, index=True)
    grant_reference: str | None = None
    organisation_id: uuid.UUID | None = Field(default=None, index=True)
    type: str
    severity: str
    status: str
    channel: str
    title: str
    # who reported: None for an anonymous tip (the channel stores no identity unless given)
    reporter_subject: str | None = None
    reporter_contact: str | None = None
    occurred_at: datetime | None = timestamp_field(nullable=True)
    reported_at: datetime = timestamp_field()
    triage_due_at: datetime = timestamp_field()
    triaged_at: datetime | None = timestamp_field(nullable=True)
    investigation_due_at: datetime | None = timestamp_field(nullable=True)
    measures_decided_at: datetime | None = timestamp_field(nullable=True)
    assignees: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    outcome: str | None = None
    lessons_learned: str | None = None
    closed_at: datetime | None = timestamp_field(nullable=True)
    exercise_id: uuid.UUID | None = Field(default=None, index=True)
    policy_version: str
    last_seq: int = 0
    updated_at: datetime = timestamp_field()


class IncidentEvidence(SQLModel, table=True):
    __tablename__ = "incident_evidence"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    kind: str = Field(description="description | note | evidence")
    body: str
    attachments: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    added_by: str | None = None
    added_at: datetime = timestamp_field()


class IncidentMeasure(SQLModel, table=True):
    __tablename__ = "incident_measure"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    kind: str
    status: str
    owner: str
    note: str
    due_at: datetime = timestamp_field()
    decided_by: str
    decided_at: datetime = timestamp_field()
    done_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class IncidentChange(SQLModel, table=True):
    __tablename__ = "incident_change"

    incident_id: uuid.UUID = Field(primary_key=True, foreign_key="incident.id")
    seq: int = Field(primary_key=True)
    action: str
    actor: str
    from_status: str
    to_status: str
    summary: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    at: datetime = timestamp_field()


class DeadlineRecord(SQLModel, table=True):
    __tablename__ = "deadline_record"

    key: str = Field(primary_key=True)
    incident_id: uuid.UUID = Field(index=True)
    item: str
    kind: str
    due_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()


class TipRate(SQLModel, table=True):
    __tablename__ = "tip_rate"

    bucket: str = Field(primary_key=True, description="'all' or a keyed hash of the source, per hour")
    window_start: datetime = timestamp_field()
    count: int = 0
