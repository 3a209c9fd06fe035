"""Auditor queries over the audit log: filters, full-text search, keyset pagination (stable, since
entries are only ever appended), and the rows of an export."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlmodel import Session, col

from rsc_monitoring.audit.models import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    service: str | None = None
    action: str | None = None
    actor: str | None = None
    proposal_id: uuid.UUID | None = None
    grant_reference: str | None = None
    organisation_id: uuid.UUID | None = None
    incident_type: str | None = None
    severity: str | None = None
    exercise: bool | None = None
    q: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.occurred_from is not None:
            out.append(col(AuditEntry.occurred_at) >= self.occurred_from)
        if self.occurred_to is not None:
            out.append(col(AuditEntry.occurred_at) < self.occurred_to)
        for name in ("service", "action", "actor", "proposal_id", "grant_reference", "organisation_id"):
            value = getattr(self, name)
            if value is not None:
                out.append(getattr(AuditEntry, name) == value)
        if self.incident_type is not None:
            out.append(col(AuditEntry.incident_type) == self.incident_type)
        if self.severity is not None:
            out.append(col(AuditEntry.severity) == self.severity)
        if self.exercise is not None:
            out.append(col(AuditEntry.exercise).is_(self.exercise))
        if self.q:
            # `search` is a generated tsvector column over the description (migration 0002)
            out.append(literal_column("search").op("@@")(func.websearch_to_tsquery("simple", self.q)))
        return out

    def as_query_string(self) -> str:
        """Canonical text of the filters, recorded with every auditor query."""
        pairs = sorted((k, _text(v)) for k, v in asdict(self).items() if v is not None)
        return urlencode(pairs)


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def page(
    session: Session, where: AuditFilter, *, descending: bool, cursor: int | None, limit: int
) -> tuple[list[AuditEntry], int | None]:
    """One page after `cursor` (a `seq`, exclusive) in the chosen order, and the next cursor."""
    query = select(AuditEntry).where(*where.conditions())
    if cursor is not None:
        query = query.where(col(AuditEntry.seq) < cursor if descending else col(AuditEntry.seq) > cursor)
    order = col(AuditEntry.seq).desc() if descending else col(AuditEntry.seq).asc()
    rows = list(session.scalars(query.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def count(session: Session, where: AuditFilter) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(*where.conditions())) or 0


def stream(session: Session, where: AuditFilter, *, batch: int = 2000) -> Iterator[AuditEntry]:
    """Every matching entry in `seq` order, fetched in keyset batches (no long-lived cursor)."""
    after = 0
    while True:
        query = (
            select(AuditEntry)
            .where(*where.conditions(), col(AuditEntry.seq) > after)
            .order_by(col(AuditEntry.seq))
            .limit(batch)
        )
        rows = list(session.scalars(query))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq
