"""What may reach an applicant (or an institution's webhook) from each event: an explicit allow-list
per event type. Everything not listed is dropped before a template sees it, so no risk level, score,
flag, watch-list match or internal note can reach the applicant side, whatever a template says."""

from __future__ import annotations

from typing import Any

MEASURE_FIELDS = ("measure_id", "title", "owner", "due_at", "evidence_required", "terms", "status")

APPLICANT_FIELDS: dict[str, tuple[str, ...]] = {
    "proposal.submitted": ("proposal_id", "version", "call_identifier", "submitted_at"),
    "proposal.resubmitted": ("proposal_id", "version", "call_identifier", "submitted_at"),
    "appraisal.information_requested": ("proposal_id", "version", "request_id", "message", "due_at"),
    "appraisal.status_changed": ("proposal_id", "version", "status"),
    "safeguards.proposed": ("proposal_id", "version", "measures", "proposed_at"),
    "safeguards.measure_updated": ("proposal_id", "version", "measure", "updated_at"),
    "safeguards.agreed": ("proposal_id", "version", "measures", "agreed_at"),
    "grant.deadline": ("grant_reference", "proposal_id", "item", "item_id", "title", "kind", "due_at"),
    "grant.ended": ("grant_reference", "proposal_id", "at"),
    "grant.obligation_updated": ("grant_reference", "proposal_id", "measure_id", "status", "at"),
}
# nested objects: only these of their fields
NESTED: dict[str, tuple[str, ...]] = {"measures": MEASURE_FIELDS, "measure": MEASURE_FIELDS}


def applicant_view(event_type: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The allow-listed fields of the event, or None when the event type never reaches applicants."""
    allowed = APPLICANT_FIELDS.get(event_type)
    if allowed is None:
        return None
    out: dict[str, Any] = {}
    for field in allowed:
        if field not in data:
            continue
        value = data[field]
        nested = NESTED.get(field)
        if nested and isinstance(value, list):
            value = [{k: v for k, v in item.items() if k in nested} for item in value if isinstance(item, dict)]
        elif nested and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k in nested}
        out[field] = value
    return out
