"""What the appraisal workflow takes, accepts and records (dataclasses: Temporal payloads).

Officer requests carry the acting `Actor` (subject and realm roles from the verified token; the API
fills it in, the workflow's validators check it). Every accepted action becomes one `CaseChange`:
the audit record (who, when, what, before and after) and the events it emits, written by the
`cases.record_change` activity exactly once (keyed by the workflow id and the change's sequence number).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rsc_appraisal.cases.states import Action, CaseStatus
from rsc_common.contracts.safeguards import MeasureStatus
from rsc_common.contracts.safeguards import SafeguardResponseKind as ApplicantResponseKind


@dataclass(frozen=True)
class Actor:
    subject: str
    roles: tuple[str, ...] = ()
    name: str | None = None

    def has(self, role: str) -> bool:
        return role in self.roles


SYSTEM = Actor(subject="rsc-appraisal-workflow", roles=("service",))


class DecisionOutcome(StrEnum):
    cleared = "cleared"
    cleared_with_safeguards = "cleared_with_safeguards"
    not_fundable = "not_fundable"


def appraisal_workflow_id(proposal_id: object, version: int) -> str:
    """One workflow per proposal version: a redelivered submission event starts nothing new."""
    return f"appraisal:{proposal_id}:v{version}"


# ------------------------------------------------------------------------------------------ input


@dataclass
class CatalogueMeasure:
    id: str
    title: str
    tracked_as: str


@dataclass
class RouteSnapshot:
    level: str
    reviewers: list[str]
    four_eyes: bool
    referral_allowed: bool
    sla_level: str
    routing_version: str


@dataclass
class AppraisalInput:
    """Started per proposal version; everything else is read by activities."""

    proposal_id: uuid.UUID
    version: int
    # The task queue of the SLA clock child (the same worker by default; tests pass their own).
    sla_task_queue: str | None = None


@dataclass
class ScreenRequest:
    proposal_id: uuid.UUID
    version: int


@dataclass
class ScreenOutcome:
    """The screening and, when it is not cleared automatically, everything the case needs."""

    case_id: uuid.UUID
    case_ref: str
    screening_id: uuid.UUID
    level: str
    auto_clear: bool
    flag_count: int
    recommended_measures: list[str]
    route: RouteSnapshot
    catalogue: list[CatalogueMeasure]
    organisation_ids: list[uuid.UUID]
    # assignees of the previous version's case (a resubmission stays with the same people)
    carried_assignees: list[Assignment] = field(default_factory=list)
    call_identifier: str = ""
    programme: str | None = None  # the SLA configuration's programme key (the call's programme name)
    call_closes_at: datetime | None = None


# --------------------------------------------------------------------------------------- requests


@dataclass
class Assignment:
    subject: str
    role: str
    name: str | None = None


@dataclass
class ClaimRequest:
    actor: Actor
    role: str  # the reviewer role the actor takes on the case (case_officer or security_adviser)


@dataclass
class AssignRequest:
    actor: Actor
    assignee: Assignment
    reason: str | None = None


@dataclass
class ReassignRequest:
    actor: Actor
    from_subject: str
    to: Assignment
    reason: str


@dataclass
class NoteRequest:
    actor: Actor
    body: str
    note_id: uuid.UUID


@dataclass
class InformationRequestRequest:
    actor: Actor
    request_id: uuid.UUID
    message: str
    due_at: datetime


@dataclass
class InformationProvided:
    """From intake (`proposal.information_provided`), as a signal."""

    request_id: uuid.UUID
    responded_at: datetime
    responded_by: str


@dataclass
class FactorAssessment:
    category: str
    level: str
    rationale: str


@dataclass
class AppraisalRequest:
    actor: Actor
    factors: list[FactorAssessment]
    summary: str


@dataclass
class ProposedMeasure:
    measure_id: str
    owner: str
    due_at: datetime
    evidence_required: str
    terms: str | None = None


@dataclass
class DecisionRequest:
    actor: Actor
    outcome: DecisionOutcome
    reason: str
    appeal_path: str | None = None
    measures: list[ProposedMeasure] = field(default_factory=list)


@dataclass
class ReviewRequest:
    """Confirm or return a proposed decision (four-eyes)."""

    actor: Actor
    reason: str | None = None


@dataclass
class ReferralRequest:
    actor: Actor
    authority: str
    reason: str


@dataclass
class ReferralAnswer:
    actor: Actor
    answer: str
    recommendation: str | None = None


@dataclass
class ApplicantSafeguardResponse:
    """From intake (`proposal.safeguard_response`), as a signal."""

    measure_id: str
    kind: ApplicantResponseKind
    text: str
    responded_by: str
    responded_at: datetime
    evidence: list[str] = field(default_factory=list)  # attachment ids or references


@dataclass
class ReviseMeasureRequest:
    actor: Actor
    measure_id: str
    reason: str
    owner: str | None = None
    due_at: datetime | None = None
    evidence_required: str | None = None
    terms: str | None = None


@dataclass
class VerifyMeasureRequest:
    actor: Actor
    measure_id: str
    note: str


@dataclass
class AwardRequest:
    actor: Actor
    grant_reference: str
    signed_at: datetime


@dataclass
class CloseSignal:
    """Withdrawal by the applicant, or a newer version that supersedes this one."""

    reason: str
    at: datetime


# ------------------------------------------------------------------------------------------ state


@dataclass
class Measure:
    measure_id: str
    title: str
    owner: str
    due_at: datetime
    evidence_required: str
    terms: str | None = None
    status: MeasureStatus = MeasureStatus.proposed
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ProposedDecision:
    outcome: DecisionOutcome
    reason: str
    by: str
    by_roles: list[str]
    at: datetime
    appeal_path: str | None = None
    measures: list[ProposedMeasure] = field(default_factory=list)


@dataclass
class CaseView:
    """The workflow's own view (the `view` query); the API reads the database read model instead."""

    case_id: uuid.UUID
    status: CaseStatus
    level: str
    assignees: list[Assignment]
    proposed_decision: ProposedDecision | None
    decision: ProposedDecision | None
    open_information_request: uuid.UUID | None
    measures: list[Measure]
    seq: int


# ------------------------------------------------------------------------------------------ record


@dataclass
class EventSpec:
    """An event to publish with the change (type from rsc_common.events.types, data as JSON)."""

    type: str
    data: dict[str, Any]


@dataclass
class CaseChange:
    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int
    key: str  # "<workflow id>#<seq>": recorded once
    seq: int
    action: Action
    actor: Actor
    at: datetime
    from_status: CaseStatus
    to_status: CaseStatus
    summary: str
    before: dict[str, Any]
    after: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    events: list[EventSpec] = field(default_factory=list)
    # a need-to-know note stored apart from the audit record (its body is not in the audit or events)
    note_body: str | None = None


@dataclass
class RecordResult:
    key: str
    recorded: bool


@dataclass
class ClockRequest:
    """Build the SLA clock's input (the activity reads the programme configuration and calendars)."""

    case_ref: str
    proposal_id: uuid.UUID
    version: int
    level: str
    started_at: datetime
    programme: str | None = None
    call_closes_at: datetime | None = None
