from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from rsc_common.contracts.incidents import EvidenceKind, MeasureKind, MeasureStatus, Severity, Status
from rsc_monitoring.incidents import machine
from rsc_monitoring.incidents.types import IncidentType

Title = Field(min_length=3, max_length=200)
Body = Field(min_length=1, max_length=10_000)
Subject = Field(min_length=1, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentCreate(_In):
    """A grantee (for its own grant) or an officer reports an incident."""

    grant_reference: str | None = Field(default=None, max_length=100)
    type: IncidentType
    severity: Severity = Severity.medium
    title: str = Title
    description: str = Body
    occurred_at: AwareDatetime | None = None
    attachments: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class TipCreate(_In):
    """The confidential tip channel: no identity is stored unless `identify` is true (then the signed-in
    user's subject) or a contact is given."""

    type: IncidentType = IncidentType.other
    title: str = Title
    description: str = Field(min_length=10, max_length=10_000)
    grant_reference: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(
        default=None, min_length=3, max_length=200, description="How to reach you, if you wish."
    )
    identify: bool = False


class TipReceipt(BaseModel):
    reference: str
    received_at: datetime
    stored_identity: bool


class TriageCreate(_In):
    severity: Severity
    assignees: list[str] = Field(default_factory=list, max_length=10)
    note: str = Body


class NoteCreate(_In):
    note: str = Body


class DismissalCreate(_In):
    reason: str = Body


class MeasureCreate(_In):
    kind: MeasureKind
    owner: str = Subject
    due_at: AwareDatetime | None = None
    note: str = Body


class MeasuresCreate(_In):
    measures: list[MeasureCreate] = Field(min_length=1, max_length=20)
    note: str = Body


class MeasureStatusCreate(_In):
    status: MeasureStatus
    note: str = Body


class ClosureCreate(_In):
    outcome: str = Field(min_length=3, max_length=2000)
    lessons_learned: str = Body


class EvidenceCreate(_In):
    kind: EvidenceKind
    body: str = Body
    attachments: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class AssigneesUpdate(_In):
    assignees: list[str] = Field(min_length=1, max_length=10)


class MeasurePublic(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    owner: str
    note: str
    due_at: datetime
    decided_by: str
    decided_at: datetime
    done_at: datetime | None

    @computed_field(  # type: ignore[prop-decorator]
        description="The statuses the measure's state machine allows next (`POST .../measures/{measure_id}/status`), "
        "in status order; empty once done or cancelled. The same for every caller: the people assigned and "
        "security advisers change a measure."
    )
    @property
    def next_statuses(self) -> list[MeasureStatus]:
        return machine.next_measure_statuses(self.status)


class ChangePublic(BaseModel):
    seq: int
    action: str
    actor: str
    from_status: str
    to_status: str
    summary: str
    at: datetime


class EvidencePublic(BaseModel):
    id: uuid.UUID
    kind: str
    body: str
    attachments: list[str]
    added_by: str | None
    added_at: datetime


class IncidentPublic(BaseModel):
    id: uuid.UUID
    reference: str
    grant_reference: str | None
    organisation_id: uuid.UUID | None
    type: str
    severity: str
    status: str
    channel: str
    title: str
    reported_at: datetime
    triage_due_at: datetime
    triaged_at: datetime | None
    investigation_due_at: datetime | None
    assignees: list[str]
    outcome: str | None
    closed_at: datetime | None
    exercise: bool


class NextStatus(BaseModel):
    status: Status = Field(description="A status the incident may go to from its current one.")
    action: str = Field(
        description="The action that takes it there: `triage`, `dismiss`, `investigate`, `decide_measures` or "
        "`close` (`POST /v1/incidents/{id}/triage`, `/dismissal`, `/investigation`, `/measures`, `/closure`)."
    )


class IncidentDetail(IncidentPublic):
    occurred_at: datetime | None
    lessons_learned: str | None
    measures: list[MeasurePublic]
    timeline: list[ChangePublic]
    evidence: list[EvidencePublic]
    evidence_withheld: int = Field(description="Evidence entries you may not read (need-to-know).")
    policy_warnings: list[str]

    @computed_field(  # type: ignore[prop-decorator]
        description="The transitions the incident's state machine allows from its current status, in status "
        "order. The same for every caller: who may take them is checked when one is taken (triage and dismissal: "
        "officers; investigation, measures and closure: the people assigned and security advisers; closure also "
        "needs every measure done or cancelled)."
    )
    @property
    def next_statuses(self) -> list[NextStatus]:
        return [NextStatus(status=target, action=action) for target, action in machine.next_statuses(self.status)]


class IncidentPage(BaseModel):
    items: list[IncidentPublic]
    total: int
    limit: int
    offset: int
