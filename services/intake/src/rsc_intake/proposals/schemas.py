from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rsc_common.contracts.fields import ShortText, text
from rsc_common.contracts.proposal import ProposalContent
from rsc_intake.proposals.models import ProposalStatus


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: uuid.UUID
    content: ProposalContent = ProposalContent()


class ProposalSummary(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    call_id: uuid.UUID
    status: ProposalStatus
    public_status: str | None
    acronym: str | None
    title: str | None
    current_version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


class ProposalPublic(ProposalSummary):
    content: ProposalContent
    row_version: int
    withdrawn_at: datetime | None
    decided_at: datetime | None


class ProposalPage(BaseModel):
    items: list[ProposalSummary]
    total: int
    limit: int
    offset: int


class SortField(StrEnum):
    created_at = "created_at"
    updated_at = "updated_at"
    submitted_at = "submitted_at"
    acronym = "acronym"
    status = "status"


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: ShortText | None = None


class VersionSummary(BaseModel):
    version: int
    submitted_at: datetime
    submitted_by: str
    questionnaire_version: int
    content_sha256: str


class VersionPublic(VersionSummary):
    content: dict[str, Any]
    organisation: dict[str, Any]
    attachments: list[dict[str, Any]]


class Change(BaseModel):
    pointer: str
    op: str
    before: Any = None
    after: Any = None


class VersionDiff(BaseModel):
    proposal_id: uuid.UUID
    from_version: int
    to_version: int
    changes: list[Change]


class StatusChangePublic(BaseModel):
    from_status: ProposalStatus
    to_status: ProposalStatus
    at: datetime
    reason: str | None


class InformationRequestPublic(BaseModel):
    id: uuid.UUID
    message: str
    due_at: datetime
    requested_at: datetime
    response: str | None
    responded_at: datetime | None


class InformationResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    response: text(10_000, 1) = Field(description="The applicant's answer.")  # type: ignore[valid-type]
