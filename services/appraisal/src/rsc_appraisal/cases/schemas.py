"""Request and response bodies of the casework API (Base / Create / Public split)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from rsc_appraisal.cases.contracts import ApplicantResponseKind, DecisionOutcome
from rsc_appraisal.engine.contracts import FactorCategory, RiskLevel

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ReviewerRole = Annotated[str, Field(pattern=r"^(case_officer|security_adviser)$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClaimCreate(_In):
    role: ReviewerRole


class AssignCreate(_In):
    subject: Short
    role: ReviewerRole
    name: Short | None = None
    reason: Text | None = None


class ReassignCreate(_In):
    from_subject: Short
    to_subject: Short
    to_name: Short | None = None
    reason: Text


class BulkReassignCreate(ReassignCreate):
    case_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="Default: every active case of `from_subject`."
    )


class NoteCreate(_In):
    body: Text


class InformationRequestCreate(_In):
    message: Text
    due_at: AwareDatetime


class FactorIn(_In):
    category: FactorCategory
    level: RiskLevel
    rationale: Text


class AppraisalCreate(_In):
    summary: Text
    factors: list[FactorIn] = Field(min_length=1, max_length=4)


class MeasureIn(_In):
    measure_id: Short
    owner: Short
    due_at: AwareDatetime
    evidence_required: Text
    terms: Text | None = None


class DecisionCreate(_In):
    outcome: DecisionOutcome
    reason: Text
    appeal_path: Text | None = None
    measures: list[MeasureIn] = Field(default_factory=list, max_length=30)


class ReviewCreate(_In):
    reason: Text | None = None


class ReferralCreate(_In):
    authority: Short
    reason: Text


class ReferralAnswerCreate(_In):
    answer: Text
    recommendation: Text | None = None


class MeasureRevision(_In):
    reason: Text
    owner: Short | None = None
    due_at: AwareDatetime | None = None
    evidence_required: Text | None = None
    terms: Text | None = None


class MeasureVerification(_In):
    note: Text


class AwardCreate(_In):
    grant_reference: Short
    signed_at: AwareDatetime


class ExtensionCreate(_In):
    working_days: int = Field(ge=1, le=730)
    reason: Text


class SafeguardResponseCreate(_In):
    """Only for tests and tools acting on behalf of intake; applicants answer through intake."""

    kind: ApplicantResponseKind
    text: Text


class SlaPublic(BaseModel):
    status: str
    due_at: datetime
    paused: bool
    breached: bool
    projected_breach: bool
    used_working_days: float
    remaining_working_days: float
    budget_working_days: int
    extension_working_days: int
    as_of: datetime


class CasePublic(BaseModel):
    id: uuid.UUID
    case_ref: str
    proposal_id: uuid.UUID
    version: int
    call_identifier: str
    programme: str | None
    level: str
    status: str
    auto_cleared: bool
    flag_count: int
    assignees: list[dict[str, Any]]
    received_at: datetime
    opened_at: datetime | None
    decided_at: datetime | None
    cleared_at: datetime | None
    closed_at: datetime | None
    sla: SlaPublic | None = None


class CasePage(BaseModel):
    items: list[CasePublic]
    total: int
    limit: int
    offset: int


class ChangePublic(BaseModel):
    seq: int
    action: str
    actor: str
    actor_roles: list[str]
    from_status: str
    to_status: str
    summary: str
    before: dict[str, Any]
    after: dict[str, Any]
    details: dict[str, Any]
    at: datetime


class NotePublic(BaseModel):
    id: uuid.UUID
    author: str
    body: str
    created_at: datetime


class LinkedCase(BaseModel):
    case_id: uuid.UUID
    case_ref: str
    status: str
    level: str
    decision: dict[str, Any] | None
    shared_organisations: list[uuid.UUID]


class CaseDetail(CasePublic):
    route: dict[str, Any]
    state: dict[str, Any]
    decision: dict[str, Any] | None
    measures: list[dict[str, Any]]
    screening: dict[str, Any]
    timeline: list[ChangePublic]
    linked_cases: list[LinkedCase]
    match_decisions: list[dict[str, Any]]
    notes: list[NotePublic] | None = Field(description="None when the caller has no need to know.")


class BulkResult(BaseModel):
    case_id: uuid.UUID
    ok: bool
    detail: str | None = None


class CaseStatistics(BaseModel):
    open_by_level: dict[str, int]
    open_by_status: dict[str, int]
    sla_at_risk: int
    sla_overdue: int
    decided: int
    appraisal_days_median: float | None
    appraisal_days_p90: float | None
    auto_cleared: int
    total: int
    share_auto_cleared: float | None


class CatalogueSourcePublic(BaseModel):
    id: str
    title: str
    url: str


class SafeguardMeasurePublic(BaseModel):
    id: str
    title: str
    description: str
    tracked_as: str = Field(description="The record that shows the measure is in place.")
    sources: list[str] = Field(description="Ids of the catalogue's sources the measure is taken from.")


class SafeguardCataloguePublic(BaseModel):
    """The safeguard catalogue a decision to clear with safeguards chooses its measures from, in catalogue order."""

    version: str
    title: str
    owner: str
    sources: list[CatalogueSourcePublic]
    measures: list[SafeguardMeasurePublic]
