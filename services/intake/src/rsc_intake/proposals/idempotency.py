"""Idempotency-Key handling for unsafe operations (submission, resubmission).

The first request's response is stored in the same transaction as its effect; a repeat with the
same key and the same body gets that response again (a retried submission after a lost reply
does not create a second version); the same key with a different body is refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlmodel import Session

from rsc_common.http import ProblemError
from rsc_intake.proposals.models import IdempotencyRecord

RECORD_TABLE = IdempotencyRecord.__table__
_record = RECORD_TABLE

MAX_KEY_LENGTH = 200


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and not (1 <= len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise ProblemError(
            400, "invalid-idempotency-key", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters"
        )


_REPLAY = select(_record.c.request_sha256, _record.c.status_code, _record.c.response).where(
    _record.c.subject == bindparam("subject"),
    _record.c.operation == bindparam("operation"),
    _record.c.key == bindparam("key"),
)


def replay(session: Session, *, subject: str, operation: str, key: str | None, body_hash: str) -> Row | None:
    """The stored answer (`status_code`, `response`) to an earlier request with this key, if any.

    Must run after the caller took the lock that serialises the operation (the proposal's row
    lock): a concurrent first request with the same key has then committed, and this statement
    (a new snapshot) sees its record."""
    if key is None:
        return None
    params = {"subject": subject, "operation": operation, "key": key}
    record = session.connection().execute(_REPLAY, params).one_or_none()
    if record is not None and record.request_sha256 != body_hash:
        raise ProblemError(
            422, "idempotency-key-reused", "this Idempotency-Key was already used for a different request"
        )
    return record


def record_row(
    *, subject: str, operation: str, key: str, body_hash: str, status_code: int, response: dict, now: datetime
) -> dict[str, Any]:
    """The record remembering an answer (a value for every column of `RECORD_TABLE`), for the caller
    to write in the transaction of the effect."""
    return {
        "id": uuid.uuid4(),
        "subject": subject,
        "operation": operation,
        "key": key,
        "request_sha256": body_hash,
        "status_code": status_code,
        "response": response,
        "created_at": now,
    }
