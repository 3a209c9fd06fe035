"""Event payloads: the shared contract between producers and consumers.

Each payload is registered under (type, schema version). Changing a payload incompatibly means a
new schema version, registered beside the old one until every consumer has moved on. The JSON
Schemas in docs/events/ are generated from these classes and checked by a test.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rsc_common.contracts.proposal import OrganisationProfile, ProposalContent
from rsc_common.events import topics
from rsc_common.events.catalog import register
from rsc_common.events.envelope import EventData


@register
class CallOpened(EventData):
    """A funding call was opened for submissions (intake)."""

    event_type: ClassVar[str] = "call.opened"
    topic: ClassVar[str] = topics.INTAKE

    call_id: uuid.UUID
    programme_id: uuid.UUID
    programme_name: str
    identifier: str = Field(description="The funder's call identifier, e.g. HORIZON-CL4-2027-01.")
    title: str
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class AttachmentRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attachment_id: uuid.UUID
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str


class ProposalSnapshot(EventData):
    """The frozen, complete proposal version that appraisal screens."""

    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    organisation_id: uuid.UUID
    call_id: uuid.UUID
    call_identifier: str
    submitted_at: AwareDatetime
    submitted_by: str = Field(description="Keycloak subject of the submitting user.")
    organisation: OrganisationProfile
    content: ProposalContent
    questionnaire_version: int
    attachments: list[AttachmentRef]
    content_sha256: str = Field(description="SHA-256 of the canonical JSON of content + organisation.")


@register
class ProposalSubmitted(ProposalSnapshot):
    """A proposal was submitted for the first time (intake)."""

    event_type: ClassVar[str] = "proposal.submitted"
    topic: ClassVar[str] = topics.INTAKE


@register
class ProposalResubmitted(ProposalSnapshot):
    """A new version of a proposal was submitted, e.g. after an information request (intake)."""

    event_type: ClassVar[str] = "proposal.resubmitted"
    topic: ClassVar[str] = topics.INTAKE

    previous_version: int = Field(ge=1)


@register
class ProposalWithdrawn(EventData):
    """The applicant withdrew the proposal before a decision (intake)."""

    event_type: ClassVar[str] = "proposal.withdrawn"
    topic: ClassVar[str] = topics.INTAKE

    proposal_id: uuid.UUID
    organisation_id: uuid.UUID
    last_version: int = Field(ge=0, description="0 when withdrawn before any submission.")
    withdrawn_at: AwareDatetime
    reason: str | None = None


@register
class ProposalInformationProvided(EventData):
    """The applicant answered an information request (intake)."""

    event_type: ClassVar[str] = "proposal.information_provided"
    topic: ClassVar[str] = topics.INTAKE

    proposal_id: uuid.UUID
    request_id: uuid.UUID
    responded_at: AwareDatetime
    responded_by: str
    response: str


class ApplicantVisibleStatus(StrEnum):
    """What an applicant may learn about the appraisal: never a level, score or list match."""

    under_security_appraisal = "under_security_appraisal"
    safeguards_proposed = "safeguards_proposed"
    cleared = "cleared"
    cleared_with_safeguards = "cleared_with_safeguards"
    not_fundable_for_security_reasons = "not_fundable_for_security_reasons"


FINAL_APPLICANT_STATUSES = frozenset(
    {
        ApplicantVisibleStatus.cleared,
        ApplicantVisibleStatus.cleared_with_safeguards,
        ApplicantVisibleStatus.not_fundable_for_security_reasons,
    }
)


@register
class AppraisalStatusChanged(EventData):
    """Appraisal's applicant-facing status of a proposal version changed (appraisal → intake).

    Carries only the applicant-visible label: the confidentiality boundary is at the producer.
    """

    event_type: ClassVar[str] = "appraisal.status_changed"
    topic: ClassVar[str] = topics.APPRAISAL

    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    status: ApplicantVisibleStatus
    changed_at: AwareDatetime


@register
class AppraisalInformationRequested(EventData):
    """A case officer asks the applicant for information, with a due date (appraisal → intake)."""

    event_type: ClassVar[str] = "appraisal.information_requested"
    topic: ClassVar[str] = topics.APPRAISAL

    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    request_id: uuid.UUID
    message: str = Field(min_length=1, max_length=10_000)
    due_at: AwareDatetime
    requested_at: AwareDatetime


class ScreenedFlag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    category: str
    level: str
    subject: str
    title: str
    hard_gate: bool = False
    requires_review: bool = True


@register
class ProposalScreened(EventData):
    """The screening engine appraised a proposal version (appraisal). Staff-internal: carries the
    risk level and flags, so it never goes to the applicant side; details via the appraisal API."""

    event_type: ClassVar[str] = "appraisal.screened"
    topic: ClassVar[str] = topics.APPRAISAL

    screening_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    trigger: str = Field(description="submission | rescreen_list_update | officer_rerun")
    level: str = Field(description="low | medium | high | very_high")
    category_levels: dict[str, str]
    auto_clear: bool
    flags: list[ScreenedFlag]
    safeguards: list[str] = Field(description="Recommended safeguard measure ids.")
    policy_version: str
    reference_versions: dict[str, str]
    input_hash: str
    warnings: list[str] = []
    screened_at: AwareDatetime


@register
class ScreeningHitFound(EventData):
    """Re-screening after a list update found a match that the previous screening of the same
    proposal version did not have (appraisal)."""

    event_type: ClassVar[str] = "appraisal.new_list_hit"
    topic: ClassVar[str] = topics.APPRAISAL

    screening_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    proposal_state: str = Field(description="open | funded")
    query_ref: str
    organisation_name: str
    list_key: str
    list_version: str
    entry_id: str
    entry_caption: str
    score: float


@register
class ReferenceDataChanged(EventData):
    """A policy, country-profile set or entity-list version was imported or activated (appraisal).
    Activating an entity-list version triggers re-screening; every change is an audit record."""

    event_type: ClassVar[str] = "appraisal.reference_changed"
    topic: ClassVar[str] = topics.APPRAISAL

    dataset_id: uuid.UUID
    kind: str = Field(description="policy | country_profiles | entity_list")
    key: str
    version_label: str
    action: str = Field(description="imported | activated | superseded")
    actor: str
    at: AwareDatetime
    sha256: str


class SlaClockEvent(EventData):
    """What every SLA-clock event carries: the clock (one per proposal version) as of the event.
    Staff-internal (it carries the risk level), like `appraisal.screened`."""

    clock_id: str = Field(description="The clock's workflow id, e.g. `sla-appraisal:<proposal>:v1`.")
    case_ref: str
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    programme: str
    config_version: str = Field(description="Version of the SLA configuration the clock snapshotted.")
    level: str = Field(description="medium | high | very_high (low if configured)")
    status: str = Field(description="running | paused | stopped")
    due_at: AwareDatetime = Field(description="When the budget is (or was) used up; while paused: if resumed now.")
    budget_working_days: int = Field(ge=0, description="The level's budget plus granted extensions.")
    used_working_days: float
    remaining_working_days: float = Field(description="Negative when overdue.")
    at: AwareDatetime = Field(description="When it happened (workflow time).")


@register
class SlaReminder(SlaClockEvent):
    """A configured fraction of a clock's appraisal budget is used (appraisal)."""

    event_type: ClassVar[str] = "sla.reminder"
    topic: ClassVar[str] = topics.APPRAISAL

    fraction: float = Field(gt=0, lt=1)


@register
class SlaEscalated(SlaClockEvent):
    """A clock reached its escalation fraction (1.0 by default): escalated to a supervisor role (appraisal)."""

    event_type: ClassVar[str] = "sla.escalated"
    topic: ClassVar[str] = topics.APPRAISAL

    fraction: float = Field(gt=0, le=1)
    to_role: str


@register
class SlaBreached(SlaClockEvent):
    """A clock used its whole appraisal budget before the case was decided (appraisal)."""

    event_type: ClassVar[str] = "sla.breached"
    topic: ClassVar[str] = topics.APPRAISAL


@register
class SlaExtended(SlaClockEvent):
    """An officer extended a clock's budget (audit record: who, why, by how much) (appraisal)."""

    event_type: ClassVar[str] = "sla.extended"
    topic: ClassVar[str] = topics.APPRAISAL

    working_days: int = Field(ge=1)
    reason: str = Field(min_length=1)
    actor: str = Field(min_length=1)
    previous_due_at: AwareDatetime


@register
class SlaClockChanged(SlaClockEvent):
    """A clock started, paused (waiting on the applicant), resumed, changed level or stopped (appraisal)."""

    event_type: ClassVar[str] = "sla.clock_changed"
    topic: ClassVar[str] = topics.APPRAISAL

    change: str = Field(description="started | paused | resumed | level_changed | stopped")
    actor: str | None = None
    reason: str | None = Field(default=None, description="Pause reason or resume note, level-change reason.")
    previous_level: str | None = Field(default=None, description="For level_changed.")
    outcome: str | None = Field(default=None, description="For stopped: the case's outcome.")


# ------------------------------------------------------------------------------- casework (appraisal)


@register
class CaseChanged(EventData):
    """An accepted action on an appraisal case (appraisal): the audit trail as events. Staff-internal.
    Note bodies and evidence are never in it (need-to-know): only that a note was added."""

    event_type: ClassVar[str] = "appraisal.case_changed"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    seq: int = Field(ge=1, description="Order of the change within the case.")
    action: str
    actor: str
    from_status: str
    to_status: str
    level: str
    summary: str
    assignees: list[str] = Field(default_factory=list, description="Subjects assigned to the case after it.")
    at: AwareDatetime


@register
class CaseNotesRead(EventData):
    """Someone with need-to-know read a case's notes (appraisal): access to sensitive records is audited."""

    event_type: ClassVar[str] = "appraisal.notes_read"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    read_by: str
    notes: int = Field(ge=0, description="How many notes were shown.")
    at: AwareDatetime


@register
class AppraisalCleared(EventData):
    """A proposal version is cleared for funding (appraisal): automatically (low risk, no red flag),
    by the reviewers, or after its safeguards were agreed. The grant may be signed."""

    event_type: ClassVar[str] = "appraisal.cleared"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    level: str
    auto_cleared: bool
    decided_by: list[str] = Field(description="Subjects of the people who cleared it (empty when automatic).")
    safeguards: list[str] = Field(description="Agreed safeguard measure ids (empty without safeguards).")
    cleared_at: AwareDatetime


@register
class AppraisalDecided(EventData):
    """A reviewer's decision took effect (appraisal): one reviewer, or the second of two (four-eyes)."""

    event_type: ClassVar[str] = "appraisal.decided"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    outcome: str = Field(description="cleared | cleared_with_safeguards | not_fundable")
    reason: str
    appeal_path: str | None = None
    decided_by: list[str]
    level: str
    decided_at: AwareDatetime


class SafeguardMeasureTerms(BaseModel):
    """A safeguard measure as the applicant sees it: what, who, by when, which evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure_id: str
    title: str
    owner: str
    due_at: AwareDatetime
    evidence_required: str
    terms: str | None = None
    status: str = Field(description="proposed | accepted | change_requested | evidence_submitted | verified")


@register
class SafeguardsProposed(EventData):
    """The funder proposes safeguard measures for a proposal version (appraisal → intake: applicant-visible)."""

    event_type: ClassVar[str] = "safeguards.proposed"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    measures: list[SafeguardMeasureTerms] = Field(min_length=1)
    proposed_at: AwareDatetime


@register
class SafeguardMeasureUpdated(EventData):
    """One measure changed (revised by the officer, accepted, evidence received, verified) (appraisal → intake)."""

    event_type: ClassVar[str] = "safeguards.measure_updated"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    measure: SafeguardMeasureTerms
    updated_at: AwareDatetime


@register
class SafeguardsAgreed(EventData):
    """Every safeguard measure is agreed and verified (appraisal): they become post-award obligations."""

    event_type: ClassVar[str] = "safeguards.agreed"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    measures: list[SafeguardMeasureTerms] = Field(min_length=1)
    agreed_at: AwareDatetime


@register
class ProposalSafeguardResponse(EventData):
    """The applicant accepts a safeguard measure, asks for a change (with a reason) or submits evidence (intake)."""

    event_type: ClassVar[str] = "proposal.safeguard_response"
    topic: ClassVar[str] = topics.INTAKE

    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    measure_id: str
    kind: str = Field(description="accept | request_change | submit_evidence")
    text: str = Field(min_length=1, max_length=10_000)
    evidence: list[str] = Field(default_factory=list, description="Attachment ids.")
    responded_by: str
    responded_at: AwareDatetime


@register
class GrantAwarded(EventData):
    """The funder recorded the grant signature (appraisal): monitoring follows the project from here."""

    event_type: ClassVar[str] = "grant.awarded"
    topic: ClassVar[str] = topics.APPRAISAL

    case_id: uuid.UUID
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    grant_reference: str
    signed_at: AwareDatetime
    level: str
    auto_cleared: bool
    obligations: list[SafeguardMeasureTerms] = Field(description="The agreed safeguards, now obligations.")
    awarded_by: str


# ------------------------------------------------------------------------------- monitoring


@register
class AuditQueried(EventData):
    """An auditor searched, exported or verified the audit log (monitoring): auditing the auditors."""

    event_type: ClassVar[str] = "audit.queried"
    topic: ClassVar[str] = topics.MONITORING

    queried_by: str = Field(description="Keycloak subject of the auditor.")
    operation: str = Field(description="search | export | verify")
    query: str = Field(description="The filters as a query string (canonical order).")
    result_count: int = Field(ge=0)
    at: AwareDatetime


@register
class GrantDeadline(EventData):
    """A deadline of a funded project (monitoring's grant workflow): a reminder before an obligation or
    attestation is due, the moment it is overdue, or its escalation to `to_role` later on."""

    event_type: ClassVar[str] = "grant.deadline"
    topic: ClassVar[str] = topics.MONITORING

    grant_reference: str
    proposal_id: uuid.UUID
    organisation_id: uuid.UUID | None
    item: str = Field(description="obligation | attestation")
    item_id: str = Field(description="The measure id, or the attestation period number.")
    title: str
    kind: str = Field(description="reminder | overdue | escalated")
    due_at: AwareDatetime
    to_role: str | None = Field(default=None, description="For escalated: who must act now.")
    at: AwareDatetime


@register
class GrantEnded(EventData):
    """A grant's monitoring ended (monitoring): at its planned end, or terminated as an incident measure."""

    event_type: ClassVar[str] = "grant.ended"
    topic: ClassVar[str] = topics.MONITORING

    grant_reference: str
    proposal_id: uuid.UUID
    organisation_id: uuid.UUID | None
    reason: str = Field(description="ended | terminated")
    open_obligations: list[str]
    at: AwareDatetime


@register
class GrantObligationUpdated(EventData):
    """An obligation changed (monitoring): evidence submitted by the grantee, fulfilled, waived or
    sent back by an officer, or overdue."""

    event_type: ClassVar[str] = "grant.obligation_updated"
    topic: ClassVar[str] = topics.MONITORING

    grant_reference: str
    proposal_id: uuid.UUID
    organisation_id: uuid.UUID | None
    measure_id: str
    status: str = Field(description="open | overdue | evidence_submitted | fulfilled | waived")
    actor: str
    at: AwareDatetime


@register
class GrantAttestationSubmitted(EventData):
    """A grantee attested for a period (monitoring): no change, or the changes it declares."""

    event_type: ClassVar[str] = "grant.attestation_submitted"
    topic: ClassVar[str] = topics.MONITORING

    grant_reference: str
    proposal_id: uuid.UUID
    organisation_id: uuid.UUID | None
    period: int = Field(ge=1)
    changes: list[str] = Field(description="Empty = no change; else affiliations, funding, ... ")
    submitted_by: str
    at: AwareDatetime


@register
class GrantReappraisalRequested(EventData):
    """A declared change sends a funded proposal back to appraisal (monitoring → appraisal)."""

    event_type: ClassVar[str] = "grant.reappraisal_requested"
    topic: ClassVar[str] = topics.MONITORING

    grant_reference: str
    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    changes: list[str] = Field(min_length=1)
    reason: str
    requested_by: str
    at: AwareDatetime


class _IncidentEvent(EventData):
    """Common fields of incident events: never the reporter's identity, the description or evidence."""

    incident_id: uuid.UUID
    reference: str
    incident_type: str
    severity: str = Field(description="low | medium | high | critical")
    grant_reference: str | None
    organisation_id: uuid.UUID | None
    exercise: bool = Field(description="A resilience-exercise record: excluded from statistics.")


@register
class IncidentReported(_IncidentEvent):
    """An incident was reported (monitoring): by a grantee, an officer, a confidential tip, a list hit on a
    funded partner, or injected by a resilience exercise."""

    event_type: ClassVar[str] = "incident.reported"
    topic: ClassVar[str] = topics.MONITORING

    channel: str = Field(description="grantee | officer | tip | list_hit | exercise")
    triage_due_at: AwareDatetime
    reported_at: AwareDatetime


@register
class IncidentChanged(_IncidentEvent):
    """An accepted transition of an incident (monitoring): triage, investigation, measures, closure."""

    event_type: ClassVar[str] = "incident.changed"
    topic: ClassVar[str] = topics.MONITORING

    action: str
    from_status: str
    to_status: str
    actor: str
    summary: str
    at: AwareDatetime


@register
class IncidentMeasureUpdated(_IncidentEvent):
    """A measure of an incident was decided, started, done or cancelled (monitoring)."""

    event_type: ClassVar[str] = "incident.measure_updated"
    topic: ClassVar[str] = topics.MONITORING

    measure_id: uuid.UUID
    kind: str
    status: str = Field(description="planned | in_progress | done | cancelled")
    due_at: AwareDatetime | None
    actor: str
    at: AwareDatetime


@register
class IncidentDeadline(_IncidentEvent):
    """An incident deadline (monitoring's incident workflow): triage, investigation or a measure is due
    soon, overdue, or escalated to `to_role`."""

    event_type: ClassVar[str] = "incident.deadline"
    topic: ClassVar[str] = topics.MONITORING

    item: str = Field(description="triage | investigation | measure")
    item_id: str
    kind: str = Field(description="reminder | overdue | escalated")
    due_at: AwareDatetime
    to_role: str | None = None
    at: AwareDatetime


@register
class ExerciseStarted(EventData):
    """A resilience exercise injected simulated incidents (monitoring). Everything it causes carries
    `exercise: true`, reaches only the participants and stays out of national statistics."""

    event_type: ClassVar[str] = "exercise.started"
    topic: ClassVar[str] = topics.MONITORING

    exercise_id: uuid.UUID
    name: str
    participants: list[str]
    incident_ids: list[uuid.UUID]
    started_by: str
    exercise: bool = True
    at: AwareDatetime


@register
class ReportExported(EventData):
    """A reporting officer exported a national report (monitoring): who, which period, which format."""

    event_type: ClassVar[str] = "report.exported"
    topic: ClassVar[str] = topics.MONITORING

    exported_by: str
    period_from: str
    period_to: str
    format: str
    proposals_screened: int
    at: AwareDatetime


@register
class IncidentEvidenceRead(_IncidentEvent):
    """Someone with need-to-know read an incident's description and evidence (monitoring)."""

    event_type: ClassVar[str] = "incident.evidence_read"
    topic: ClassVar[str] = topics.MONITORING

    read_by: str
    entries: int = Field(ge=0)
    at: AwareDatetime


@register
class AuditIntegrityAlert(EventData):
    """A verification found the audit chain broken (monitoring): auditors and admins are alerted."""

    event_type: ClassVar[str] = "audit.integrity_alert"
    topic: ClassVar[str] = topics.MONITORING

    first_failure_seq: int
    kind: str = Field(description="altered | removed | inserted | link_broken | anchor")
    detail: str
    verified_by: str
    at: AwareDatetime
