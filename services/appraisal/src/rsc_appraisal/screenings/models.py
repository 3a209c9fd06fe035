"""Appraisal's copy of submitted proposal versions and the screenings run on them.

Screenings are append-only: a re-run (new policy, new list version, officer request) adds a row;
the case view shows the latest and the history stays for audit and for "what would change".
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class ProposalState(StrEnum):
    """Whether appraisal still looks after the proposal (re-screening covers open and funded ones)."""

    open = "open"
    withdrawn = "withdrawn"
    closed = "closed"  # decided, not funded
    funded = "funded"


class AppraisalProposal(SQLModel, table=True):
    __tablename__ = "appraisal_proposal"

    proposal_id: uuid.UUID = Field(primary_key=True)
    organisation_id: uuid.UUID = Field(index=True)
    call_id: uuid.UUID
    call_identifier: str
    latest_version: int
    state: ProposalState = Field(default=ProposalState.open, index=True)
    updated_at: datetime = timestamp_field()


class ProposalSnapshotRow(SQLModel, table=True):
    """The submitted version exactly as intake published it (immutable)."""

    __tablename__ = "proposal_snapshot"

    proposal_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    document: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    received_at: datetime = timestamp_field()


class ScreeningTrigger(StrEnum):
    submission = "submission"
    rescreen_list_update = "rescreen_list_update"
    officer_rerun = "officer_rerun"
    # a grantee declared a change in a post-award attestation (monitoring's grant.reappraisal_requested)
    post_award_change = "post_award_change"


class Screening(SQLModel, table=True):
    __tablename__ = "screening"
    __table_args__ = (Index("ix_screening_proposal", "proposal_id", "version", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID
    version: int
    trigger: ScreeningTrigger
    policy_version: str
    reference_versions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    input_hash: str
    level: str = Field(index=True)
    auto_clear: bool
    flag_count: int
    result: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_by: str
    created_at: datetime = timestamp_field()
