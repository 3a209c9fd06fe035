"""What the audit log records of a domain event: who did what to which proposal, grant or
organisation, in one searchable sentence, with the event's small scalar fields as details.

Every event of every service is a state change, decision or access worth auditing, so all of them are
recorded. Large nested payloads (a proposal snapshot with its disclosures) are not copied: the entry
keeps their SHA-256, which proves which event was recorded without spreading personal data into the
log. Text an applicant wrote (answers, notes) never reaches an event in the first place.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rsc_common.events import EventEnvelope
from rsc_monitoring.audit.chain import clean_text

# Fields naming the person who acted, in order of preference (a list means several people).
ACTOR_FIELDS = (
    "actor",
    "awarded_by",
    "decided_by",
    "responded_by",
    "requested_by",
    "reported_by",
    "submitted_by",
    "withdrawn_by",
    "created_by",
    "assigned_by",
    "queried_by",
)
# Free text that explains a change (shown in the sentence, searchable).
REASON_FIELDS = ("summary", "reason", "outcome", "change", "title", "query")
MAX_DETAIL_TEXT = 500


@dataclass(frozen=True, slots=True)
class AuditRecord:
    event_id: uuid.UUID
    occurred_at: datetime
    service: str
    action: str
    actor: str
    subject: str
    proposal_id: uuid.UUID | None
    grant_reference: str
    organisation_id: uuid.UUID | None
    incident_type: str
    severity: str
    exercise: bool
    description: str
    details: str
    event_sha256: str


def describe(envelope: EventEnvelope, raw: bytes | None = None) -> AuditRecord:
    data = envelope.data
    actor = _actor(data) or envelope.source
    reason = next((str(data[f]) for f in REASON_FIELDS if isinstance(data.get(f), str | int) and data.get(f)), "")
    sentence = f"{envelope.type} by {actor} on {envelope.subject}"
    if reason:
        sentence += f": {reason}"
    return AuditRecord(
        event_id=envelope.id,
        occurred_at=envelope.time,
        service=clean_text(envelope.source),
        action=clean_text(envelope.type),
        actor=clean_text(actor),
        subject=clean_text(envelope.subject),
        proposal_id=_uuid(data.get("proposal_id")),
        grant_reference=clean_text(_str(data.get("grant_reference"))),
        organisation_id=_uuid(data.get("organisation_id")),
        incident_type=clean_text(_str(data.get("incident_type"))),
        severity=clean_text(_str(data.get("severity"))),
        exercise=data.get("exercise") is True,
        description=clean_text(sentence)[:2000],
        details=canonical_json(_scalars(data)),
        event_sha256=hashlib.sha256(raw if raw is not None else envelope.to_bytes()).hexdigest(),
    )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _actor(data: dict[str, Any]) -> str:
    for field in ACTOR_FIELDS:
        value = data.get(field)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return ",".join(value)
    return ""


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields that are scalars or lists of scalars; long text is cut."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            out[key] = value if len(value) <= MAX_DETAIL_TEXT else value[:MAX_DETAIL_TEXT] + "…"
        elif value is None or isinstance(value, bool | int | float):
            out[key] = value
        elif isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
            out[key] = value[:50]
    return out


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
