"""The hash chain of the audit log: what each entry's hash covers, computed the same way in Python
(when an entry is appended) and in SQL (when the chain is verified, so 10 M entries are checked
inside PostgreSQL instead of being shipped to Python).

entry_hash = SHA-256 over the UTF-8 bytes of the previous entry's hash and every recorded field,
joined by the unit separator (U+001F). Text fields never contain control characters (they are
replaced when an entry is built) and `details` is JSON (which escapes them), so the joined string
cannot be re-split differently. The sequence number is not hashed: positions are protected by the
links (each entry stores its predecessor's hash) and by the gap check on `seq`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64
SEPARATOR = "\x1f"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """Text as it enters the chain: control characters (including the separator) become spaces."""
    return _CONTROL.sub(" ", value or "")


def timestamp_text(at: datetime) -> str:
    # The same text as SQL's to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US').
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class ChainedFields:
    """Everything an entry's hash covers besides the previous hash, in hashing order."""

    event_id: uuid.UUID
    occurred_at: datetime
    recorded_at: datetime
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

    def parts(self) -> list[str]:
        return [
            str(self.event_id),
            timestamp_text(self.occurred_at),
            timestamp_text(self.recorded_at),
            self.service,
            self.action,
            self.actor,
            self.subject,
            str(self.proposal_id) if self.proposal_id else "",
            self.grant_reference,
            str(self.organisation_id) if self.organisation_id else "",
            self.incident_type,
            self.severity,
            "true" if self.exercise else "false",
            self.description,
            self.details,
            self.event_sha256,
        ]


def entry_hash(prev_hash: str, fields: ChainedFields) -> str:
    return hashlib.sha256(SEPARATOR.join([prev_hash, *fields.parts()]).encode()).hexdigest()


def _ts(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""


# The same string in SQL over the columns of `audit_entry` (concat_ws skips NULLs: coalesce them).
SQL_ENTRY_HASH = (
    "encode(sha256(convert_to(concat_ws(chr(31), prev_hash, event_id::text, "
    f"{_ts('occurred_at')}, {_ts('recorded_at')}, service, action, actor, subject, "
    "coalesce(proposal_id::text, ''), grant_reference, coalesce(organisation_id::text, ''), "
    "incident_type, severity, CASE WHEN exercise THEN 'true' ELSE 'false' END, description, details, "
    "event_sha256), 'UTF8')), 'hex')"
)
