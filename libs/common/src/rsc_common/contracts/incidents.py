"""The incident vocabulary of the monitoring API (shared/reference/domain.md §4): what an incident's
status, severity and measures can be. The monitoring service validates against it and the portal builds
its filters and form choices from it, so the two cannot drift apart. Which transitions are allowed is
the monitoring service's state machine; the incident detail reports them (`next_statuses`)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    reported = "reported"
    triaged = "triaged"
    investigating = "investigating"
    measures = "measures"
    closed = "closed"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class MeasureKind(StrEnum):
    """Measures from shared/reference/domain.md §4b."""

    request_for_information = "request_for_information"
    corrective_plan = "corrective_plan"
    stricter_safeguards = "stricter_safeguards"
    payment_suspension = "payment_suspension"
    switch_to_reimbursement = "switch_to_reimbursement"
    termination = "termination"
    recovery_of_funds = "recovery_of_funds"
    authority_notification = "authority_notification"


class MeasureStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class EvidenceKind(StrEnum):
    note = "note"
    evidence = "evidence"
