from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryPublic(BaseModel):
    seq: int
    event_id: uuid.UUID
    occurred_at: datetime
    recorded_at: datetime
    service: str
    action: str
    actor: str
    subject: str
    proposal_id: uuid.UUID | None
    grant_reference: str | None
    organisation_id: uuid.UUID | None
    incident_type: str | None
    severity: str | None
    exercise: bool
    description: str
    details: dict[str, Any]
    event_sha256: str
    prev_hash: str
    entry_hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    order: str


class ChainFailure(BaseModel):
    seq: int
    event_id: uuid.UUID | None
    kind: str = Field(description="altered | removed | inserted | link_broken")
    detail: str


class VerificationPublic(BaseModel):
    intact: bool
    entries: int
    head_seq: int = Field(
        description="Note it with head_hash: a later verification with them as anchor proves "
        "the chain was not rewritten since."
    )
    head_hash: str
    anchor_ok: bool | None = Field(description="Whether the given anchor is still in the chain (null without one).")
    first_failure: ChainFailure | None
    verified_at: datetime
    seconds: float
