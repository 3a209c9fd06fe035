"""The monitoring API's incident vocabulary, for the list filters and the form choices (the API validates
again). Which transitions an incident or a measure allows is not here: the incident detail says
(`next_statuses`), from the API's own state machine."""

from __future__ import annotations

STATUSES = ("reported", "triaged", "investigating", "measures", "closed")
SEVERITIES = ("low", "medium", "high", "critical")
MEASURE_KINDS = (
    "request_for_information",
    "corrective_plan",
    "stricter_safeguards",
    "payment_suspension",
    "switch_to_reimbursement",
    "termination",
    "recovery_of_funds",
    "authority_notification",
)
MEASURE_STATUSES = ("planned", "in_progress", "done", "cancelled")
EVIDENCE_KINDS = ("note", "evidence")
