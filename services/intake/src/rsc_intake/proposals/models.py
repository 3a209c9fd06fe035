"""Proposals, their frozen versions, status history, information requests, idempotency records.

The editable draft is one validated JSON document (`ProposalContent`): it is versioned and
snapshotted as a whole, and appraisal receives exactly that document. Fields used for lists,
filters and sorting (status, call, organisation, acronym, title, dates) are also columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class ProposalStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    information_requested = "information_requested"
    information_provided = "information_provided"
    under_appraisal = "under_appraisal"
    decided = "decided"
    withdrawn = "withdrawn"


class Proposal(SQLModel, table=True):
    __tablename__ = "proposal"
    __table_args__ = (Index("ix_proposal_org_status", "organisation_id", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(index=True)
    call_id: uuid.UUID = Field(foreign_key="call.id", index=True)
    created_by: str
    status: ProposalStatus = Field(default=ProposalStatus.draft, index=True)
    # What appraisal lets the applicant see ("under security appraisal", "cleared", ...): a label
    # chosen by appraisal, never a score, level or list match.
    public_status: str | None = None
    acronym: str | None = Field(default=None, index=True)
    title: str | None = None
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    current_version: int = 0
    row_version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    submitted_at: datetime | None = timestamp_field(nullable=True)
    withdrawn_at: datetime | None = timestamp_field(nullable=True)
    decided_at: datetime | None = timestamp_field(nullable=True)


class ProposalVersion(SQLModel, table=True):
    """A submitted version: immutable (never updated, never deleted)."""

    __tablename__ = "proposal_version"

    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True)
    version: int = Field(primary_key=True)
    content: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    organisation: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    questionnaire_version: int
    content_sha256: str
    submitted_at: datetime = timestamp_field()
    submitted_by: str


class ProposalStatusChange(SQLModel, table=True):
    """Append-only history of accepted transitions (who, when, from, to, why)."""

    __tablename__ = "proposal_status_change"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    from_status: ProposalStatus
    to_status: ProposalStatus
    actor: str
    reason: str | None = None
    at: datetime = timestamp_field()


class InformationRequest(SQLModel, table=True):
    """A question from the case officer, received from appraisal; answered here by the applicant."""

    __tablename__ = "information_request"

    id: uuid.UUID = Field(primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    message: str
    due_at: datetime = timestamp_field(default_now=False)
    requested_at: datetime = timestamp_field()
    response: str | None = None
    responded_at: datetime | None = timestamp_field(nullable=True)
    responded_by: str | None = None


class IdempotencyRecord(SQLModel, table=True):
    """The stored answer to a request made with an Idempotency-Key, replayed for repeats."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("subject", "operation", "key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject: str
    operation: str
    key: str
    request_sha256: str
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = timestamp_field()
