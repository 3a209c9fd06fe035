"""Safeguard measures as appraisal proposed them, and the applicant's responses (migration 0003).

`safeguard_set` is one proposal version's safeguards (when proposed, when agreed); its measures are
`safeguard_measure` rows with the applicant-visible terms and the status appraisal last reported
(or, until appraisal confirms, the status the applicant's own response leads to). Every response
the applicant sent is a `safeguard_response` row (append-only).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKeyConstraint, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.contracts.safeguards import MeasureStatus  # noqa: F401 - re-exported for intake
from rsc_common.contracts.safeguards import SafeguardResponseKind as ResponseKind  # noqa: F401
from rsc_common.db.types import timestamp_field


class SafeguardSet(SQLModel, table=True):
    """The safeguards of one proposal version."""

    __tablename__ = "safeguard_set"

    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True)
    version: int = Field(primary_key=True)
    case_id: uuid.UUID
    proposed_at: datetime = timestamp_field(default_now=False)
    agreed_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class SafeguardMeasure(SQLModel, table=True):
    """One measure with its applicant-visible terms."""

    __tablename__ = "safeguard_measure"
    __table_args__ = (
        ForeignKeyConstraint(
            ["proposal_id", "version"], ["safeguard_set.proposal_id", "safeguard_set.version"], ondelete="CASCADE"
        ),
    )

    proposal_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    measure_id: str = Field(primary_key=True)
    position: int = Field(description="Order in appraisal's proposal.")
    title: str
    owner: str
    due_at: datetime = timestamp_field(default_now=False)
    evidence_required: str
    terms: str | None = None
    # A plain string: appraisal's value is stored as sent (`MeasureStatus` members in practice).
    status: str
    # When appraisal last reported this measure (an older report arriving late is ignored).
    appraisal_updated_at: datetime = timestamp_field(default_now=False)
    # The applicant's latest response (its status is optimistic until appraisal reports it).
    responded_at: datetime | None = timestamp_field(nullable=True)


class SafeguardResponse(SQLModel, table=True):
    """An answer of the applicant to one measure, as published in `proposal.safeguard_response`."""

    __tablename__ = "safeguard_response"
    __table_args__ = (Index("ix_safeguard_response_measure", "proposal_id", "version", "measure_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id")
    version: int
    measure_id: str
    kind: str
    text: str
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    responded_by: str
    responded_at: datetime = timestamp_field()
