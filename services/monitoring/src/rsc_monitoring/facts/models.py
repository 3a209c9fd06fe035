"""The reporting read model (migration 0003): one row per proposal version with what national
statistics need, folded from the other services' events; never personal data.

Events can arrive in any order across topics (a screening before its submission when the intake
topic lags), so every handler upserts only its own columns.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class CallFact(SQLModel, table=True):
    __tablename__ = "call_fact"

    call_id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(index=True)
    programme: str
    closes_at: datetime = timestamp_field()


class ProposalFact(SQLModel, table=True):
    __tablename__ = "proposal_fact"
    __table_args__ = (
        Index("ix_proposal_fact_screened_at", "screened_at", postgresql_where="NOT superseded"),
        Index("ix_proposal_fact_signed_at", "signed_at"),
    )

    proposal_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    organisation_id: uuid.UUID | None = None
    call_identifier: str | None = None
    submitted_at: datetime | None = timestamp_field(nullable=True)
    duration_months: int | None = None
    # declared critical technology areas, and countries of partners' establishment, ownership, control
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    partner_countries: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    level: str | None = None
    category_levels: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    flags: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    recommended_safeguards: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    screened_at: datetime | None = timestamp_field(nullable=True)
    verdict: str | None = Field(
        default=None, description="cleared | cleared_with_safeguards | not_fundable | withdrawn"
    )
    verdict_at: datetime | None = timestamp_field(nullable=True)
    auto_cleared: bool | None = None
    agreed_safeguards: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    signed_at: datetime | None = timestamp_field(nullable=True)
    # submission -> verdict in days, kept with the verdict (the report's percentile reads it directly)
    appraisal_days: float | None = None
    # a later version of the proposal exists: statistics count each proposal once, by its latest version
    superseded: bool = False


class ReportRollup(SQLModel, table=True):
    """Daily counts per report dimension (see facts.rollup)."""

    __tablename__ = "report_rollup"

    day: date = Field(primary_key=True)
    dim: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    count: int
