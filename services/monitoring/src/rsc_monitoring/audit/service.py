"""Appending to the audit log and reading it back. There is no update or delete function."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert, select, update
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from rsc_common.db.types import utcnow
from rsc_monitoring.audit.chain import ChainedFields, entry_hash
from rsc_monitoring.audit.describe import AuditRecord
from rsc_monitoring.audit.models import AuditChainHead, AuditEntry


def append(session: Session, records: Sequence[AuditRecord]) -> int:
    """Chain the records after the current head, skipping events already in the log (the relay is
    at-least-once). Holds the head row's lock until the caller commits, so concurrent appenders chain
    one after the other. Returns how many entries were added."""
    if not records:
        return 0
    head = _lock_head(session)
    ids = [r.event_id for r in records]
    known = set(session.scalars(select(AuditEntry.event_id).where(col(AuditEntry.event_id).in_(ids))))
    seq, prev = head.last_seq, head.last_hash
    recorded_at = utcnow()
    rows: list[dict] = []
    for record in _unique(records, known):
        fields = ChainedFields(recorded_at=recorded_at, **_fields(record))
        seq += 1
        digest = entry_hash(prev, fields)
        rows.append(
            {"seq": seq, **_fields(record), "recorded_at": recorded_at, "prev_hash": prev, "entry_hash": digest}
        )
        prev = digest
    if rows:
        session.execute(insert(AuditEntry.__table__), rows)
        session.execute(
            update(AuditChainHead.__table__)
            .where(AuditChainHead.__table__.c.id == 1)
            .values(last_seq=seq, last_hash=prev, updated_at=recorded_at)
        )
    return len(rows)


def _lock_head(session: Session) -> AuditChainHead:
    head = session.exec(sm_select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).first()
    if head is None:
        raise RuntimeError("audit_chain_head has no row: run the monitoring migrations")
    return head


def _unique(records: Iterable[AuditRecord], known: set) -> Iterable[AuditRecord]:
    seen = set(known)
    for record in records:
        if record.event_id not in seen:
            seen.add(record.event_id)
            yield record


def _fields(record: AuditRecord) -> dict:
    return {
        "event_id": record.event_id,
        "occurred_at": record.occurred_at,
        "service": record.service,
        "action": record.action,
        "actor": record.actor,
        "subject": record.subject,
        "proposal_id": record.proposal_id,
        "grant_reference": record.grant_reference,
        "organisation_id": record.organisation_id,
        "incident_type": record.incident_type,
        "severity": record.severity,
        "exercise": record.exercise,
        "description": record.description,
        "details": record.details,
        "event_sha256": record.event_sha256,
    }
