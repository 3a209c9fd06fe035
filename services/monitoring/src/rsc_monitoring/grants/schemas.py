from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rsc_monitoring.grants.plan import ChangeKind

Text = Field(min_length=1, max_length=10_000)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObligationPublic(BaseModel):
    measure_id: str
    title: str
    owner: str
    terms: str | None
    evidence_required: str
    due_at: datetime
    status: str
    evidence: list[dict]
    decided_by: str | None
    decision_note: str | None
    fulfilled_at: datetime | None
    escalated_at: datetime | None


class AttestationPublic(BaseModel):
    period: int
    due_at: datetime
    status: str
    changes: list[str]
    statement: str | None
    evidence: list[str]
    submitted_at: datetime | None
    reappraisal_requested: bool


class GrantPublic(BaseModel):
    reference: str
    proposal_id: uuid.UUID
    version: int
    organisation_id: uuid.UUID | None
    level: str
    signed_at: datetime
    ends_at: datetime
    status: str
    plan_version: str
    attestation_interval_months: int | None


class GrantDetail(GrantPublic):
    obligations: list[ObligationPublic]
    attestations: list[AttestationPublic]
    plan_warnings: list[str]


class GrantPage(BaseModel):
    items: list[GrantPublic]
    total: int
    limit: int
    offset: int


class EvidenceCreate(_In):
    text: str = Text
    attachments: list[uuid.UUID] = Field(default_factory=list, max_length=20, description="Intake attachment ids.")


class ObligationDecisionCreate(_In):
    decision: Literal["accept", "send_back", "waive"]
    note: str = Text


class AttestationCreate(_In):
    period: int = Field(ge=1, le=1000)
    no_change: bool = Field(description="True: nothing changed since the last attestation.")
    changes: list[ChangeKind] = Field(default_factory=list, max_length=4)
    statement: str | None = Field(default=None, max_length=10_000)
    evidence: list[uuid.UUID] = Field(default_factory=list, max_length=20)
