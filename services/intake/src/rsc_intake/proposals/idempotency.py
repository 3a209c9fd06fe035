"""Idempotency-Key handling for unsafe operations (submission, resubmission).

The first request's response is stored in the same transaction as its effect; a repeat with the
same key and the same body gets that response again (a retried submission after a lost reply
does not create a second version); the same key with a different body is refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from rsc_common.http import ProblemError
from rsc_intake.proposals.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and not (1 <= len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise ProblemError(
            400, "invalid-idempotency-key", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters"
        )


def replay(
    session: Session, *, subject: str, operation: str, key: str | None, body_hash: str
) -> IdempotencyRecord | None:
    if key is None:
        return None
    record = session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.subject == subject, IdempotencyRecord.operation == operation, IdempotencyRecord.key == key
        )
    ).scalar_one_or_none()
    if record is not None and record.request_sha256 != body_hash:
        raise ProblemError(
            422, "idempotency-key-reused", "this Idempotency-Key was already used for a different request"
        )
    return record


def remember(
    session: Session, *, subject: str, operation: str, key: str | None, body_hash: str, status_code: int, response: dict
) -> None:
    if key is not None:
        session.add(
            IdempotencyRecord(
                subject=subject, operation=operation, key=key, request_sha256=body_hash,
                status_code=status_code, response=response,
            )
        )  # fmt: skip
