from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from rsc_appraisal.screenings.models import ScreeningTrigger


class ScreeningPublic(BaseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    version: int
    trigger: ScreeningTrigger
    level: str
    auto_clear: bool
    flag_count: int
    policy_version: str
    reference_versions: dict[str, str]
    input_hash: str
    created_by: str
    created_at: datetime


class ScreeningDetail(ScreeningPublic):
    result: dict[str, Any]


class PreviewResult(BaseModel):
    """A screening computed but not stored (e.g. under a draft policy)."""

    proposal_id: uuid.UUID
    version: int
    result: dict[str, Any]


class PolicyComparisonRequest(BaseModel):
    base_version: Annotated[str, Field(min_length=1, max_length=100)]
    candidate_version: Annotated[str, Field(min_length=1, max_length=100)]
    limit: Annotated[int, Field(ge=1, le=2000)] = 200


class ProposalChange(BaseModel):
    proposal_id: uuid.UUID
    version: int
    base_level: str
    candidate_level: str
    flags_added: list[str]
    flags_removed: list[str]
    safeguards_added: list[str]
    safeguards_removed: list[str]
    auto_clear_changed: bool


class PolicyComparison(BaseModel):
    base_version: str
    candidate_version: str
    proposals_compared: int
    level_changes: dict[str, int] = Field(description="'low->high': count, for every change of level")
    raised: int
    lowered: int
    unchanged: int
    auto_clear_base: int
    auto_clear_candidate: int
    changes: list[ProposalChange] = Field(description="Proposals whose level, flags or safeguards differ.")
