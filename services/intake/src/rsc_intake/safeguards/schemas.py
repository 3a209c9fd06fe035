from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from rsc_common.contracts.fields import text
from rsc_intake.safeguards.models import ResponseKind

MAX_EVIDENCE = 50  # as many as a proposal can have attachments
ResponseText = text(10_000, 1)


class SafeguardResponseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ResponseKind = Field(
        description="accept (from proposed), request_change (from proposed or accepted), "
        "submit_evidence (from proposed, accepted or evidence_submitted)."
    )
    text: ResponseText = Field(  # type: ignore[valid-type]
        description="The applicant's words: why a change is needed, what the evidence shows, or a confirmation."
    )
    evidence: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_EVIDENCE, description="Ids of this proposal's attachments."
    )


class SafeguardResponsePublic(BaseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    version: int
    measure_id: str
    kind: ResponseKind
    text: str
    evidence: list[uuid.UUID]
    responded_by: str
    responded_at: datetime


class SafeguardResponseAccepted(SafeguardResponsePublic):
    measure_status: str = Field(
        description="The status the response leads to; appraisal confirms (or corrects) it with its own update."
    )


class SafeguardMeasurePublic(BaseModel):
    measure_id: str
    title: str
    owner: str
    due_at: datetime
    evidence_required: str
    terms: str | None
    status: str = Field(description="proposed | accepted | change_requested | evidence_submitted | verified")
    allowed_responses: list[ResponseKind] = Field(description="What the applicant may answer now.")
    responses: list[SafeguardResponsePublic]


class SafeguardsPublic(BaseModel):
    proposal_id: uuid.UUID
    version: int | None = Field(description="The latest proposal version with safeguards (none yet: null).")
    proposed_at: datetime | None
    agreed_at: datetime | None
    open: bool = Field(description="Whether the measures can still be answered.")
    measures: list[SafeguardMeasurePublic]
