"""Auditor API: search, export and verify the audit log. Every call is itself audited: it writes an
`audit.queried` event (outbox, same transaction), which the audit consumer chains like any other."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from rsc_common.auth import Principal
from rsc_common.events import add_event
from rsc_common.events.types import AuditIntegrityAlert, AuditQueried
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_monitoring.audit import queries
from rsc_monitoring.audit.models import AuditEntry
from rsc_monitoring.audit.queries import AuditFilter
from rsc_monitoring.audit.schemas import AuditEntryPublic, AuditPage, ChainFailure, VerificationPublic
from rsc_monitoring.audit.verify import verify
from rsc_monitoring.permissions import AuditReader

router = APIRouter(prefix="/v1/audit", tags=["audit log"])
SOURCE = "rsc-monitoring"
EXPORT_COLUMNS = [
    "seq", "event_id", "occurred_at", "recorded_at", "service", "action", "actor", "subject", "proposal_id",
    "grant_reference", "organisation_id", "incident_type", "severity", "exercise", "description", "details",
    "event_sha256", "prev_hash", "entry_hash",
]  # fmt: skip


def audit_filter(
    occurred_from: Annotated[datetime | None, Query(alias="from", description="Inclusive, timezone-aware.")] = None,
    occurred_to: Annotated[datetime | None, Query(alias="to", description="Exclusive, timezone-aware.")] = None,
    service: Annotated[str | None, Query(max_length=100, description="e.g. rsc-appraisal")] = None,
    action: Annotated[str | None, Query(max_length=100, description="The event type, e.g. appraisal.decided")] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    proposal_id: uuid.UUID | None = None,
    grant_reference: Annotated[str | None, Query(max_length=100)] = None,
    organisation_id: uuid.UUID | None = None,
    incident_type: Annotated[str | None, Query(max_length=100)] = None,
    severity: Annotated[str | None, Query(max_length=50)] = None,
    exercise: Annotated[
        bool | None, Query(description="Only resilience-exercise entries (true) or none (false).")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Full-text search in the descriptions.")] = None,
) -> AuditFilter:
    for name, value in (("from", occurred_from), ("to", occurred_to)):
        if value is not None and value.tzinfo is None:
            raise ProblemError(422, "naive-timestamp", f"`{name}` needs a timezone offset (e.g. Z).", pointer=name)
    if occurred_from and occurred_to and occurred_from >= occurred_to:
        raise ProblemError(422, "empty-time-range", "`from` must be before `to`.")
    return AuditFilter(
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        service=service,
        action=action,
        actor=actor,
        proposal_id=proposal_id,
        grant_reference=grant_reference,
        organisation_id=organisation_id,
        incident_type=incident_type,
        severity=severity,
        exercise=exercise,
        q=q.strip() or None if q else None,
    )


def _log_query(session: Session, auditor: Principal, operation: str, query: str, result_count: int) -> None:
    at = datetime.now(UTC)
    add_event(
        session,
        AuditQueried(queried_by=auditor.subject, operation=operation, query=query, result_count=result_count, at=at),
        subject=f"auditor:{auditor.subject}",
        source=SOURCE,
    )
    session.commit()


def _alert(session: Session, auditor: Principal, result) -> None:
    failure = result.failure
    add_event(
        session,
        AuditIntegrityAlert(
            first_failure_seq=failure.seq if failure else result.head_seq,
            kind=failure.kind if failure else "anchor",
            detail=failure.detail if failure else "the anchor given is no longer in the chain",
            verified_by=auditor.subject,
            at=datetime.now(UTC),
        ),
        subject="audit-chain",
        source=SOURCE,
    )


def _public(entry: AuditEntry) -> AuditEntryPublic:
    return AuditEntryPublic(
        **{k: getattr(entry, k) for k in AuditEntryPublic.model_fields if k != "details"},
        details=json.loads(entry.details),
    ).model_copy(
        update={
            "grant_reference": entry.grant_reference or None,
            "incident_type": entry.incident_type or None,
            "severity": entry.severity or None,
        }
    )


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/entries", response_model=AuditPage, summary="Search the audit log (newest first by default)")
def search_entries(
    auditor: AuditReader,
    session: SessionDep,
    where: FilterDep,
    order: Literal["desc", "asc"] = "desc",
    cursor: Annotated[int | None, Query(ge=0, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    rows, next_cursor = queries.page(session, where, descending=order == "desc", cursor=cursor, limit=limit)
    items = [_public(r) for r in rows]
    _log_query(session, auditor, "search", where.as_query_string(), len(items))
    return AuditPage(items=items, next_cursor=next_cursor, order=order)


@router.get("/entries/{seq}", response_model=AuditEntryPublic, summary="One audit entry")
def get_entry(auditor: AuditReader, session: SessionDep, seq: Annotated[int, Path(ge=1, le=2**62)]) -> AuditEntryPublic:
    entry = session.get(AuditEntry, seq)
    if entry is None:
        raise ProblemError(404, "audit-entry-not-found", f"There is no audit entry {seq}.")
    _log_query(session, auditor, "search", f"seq={seq}", 1)
    return _public(entry)


@router.get(
    "/export",
    summary="Export the matching entries (CSV or JSON), in chain order",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_entries(
    request: Request,
    auditor: AuditReader,
    session: SessionDep,
    where: FilterDep,
    format: Literal["csv", "json"] = "csv",
) -> StreamingResponse:
    total = queries.count(session, where)
    _log_query(session, auditor, "export", where.as_query_string() + f"&format={format}", total)
    engine = request.app.state.engine
    body = _csv(engine, where) if format == "csv" else _json(engine, where)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    name = f"audit-log.{format}"
    return StreamingResponse(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(engine, where: AuditFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    with Session(engine) as session:
        for n, entry in enumerate(queries.stream(session, where), start=1):
            writer.writerow([_cell(getattr(entry, c)) for c in EXPORT_COLUMNS])
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _json(engine, where: AuditFilter) -> Iterator[str]:
    yield "["
    with Session(engine) as session:
        for n, entry in enumerate(queries.stream(session, where)):
            yield ("," if n else "") + _public(entry).model_dump_json()
    yield "]"


@router.get("/verification", response_model=VerificationPublic, summary="Verify the hash chain")
async def verify_chain(
    request: Request,
    auditor: AuditReader,
    session: SessionDep,
    anchor_seq: Annotated[int | None, Query(ge=1, description="A head noted earlier: its sequence number…")] = None,
    anchor_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$", description="…and its hash.")] = None,
) -> VerificationPublic:
    if (anchor_seq is None) != (anchor_hash is None):
        raise ProblemError(422, "incomplete-anchor", "Give both `anchor_seq` and `anchor_hash`, or neither.")
    started = time.perf_counter()
    settings = request.app.state.settings
    result = await run_in_threadpool(
        verify,
        request.app.state.engine,
        parallelism=settings.audit_verify_parallelism,
        anchor_seq=anchor_seq,
        anchor_hash=anchor_hash,
    )
    seconds = time.perf_counter() - started
    query = f"anchor_seq={anchor_seq}" if anchor_seq else ""
    if not result.intact:  # alert auditors and admins (notifications), before the query's own record
        await run_in_threadpool(_alert, session, auditor, result)
    await run_in_threadpool(_log_query, session, auditor, "verify", query, result.entries)
    failure = result.failure
    return VerificationPublic(
        intact=result.intact,
        entries=result.entries,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        anchor_ok=result.anchor_ok,
        first_failure=ChainFailure(
            seq=failure.seq,
            event_id=uuid.UUID(failure.event_id) if failure.event_id else None,
            kind=failure.kind,
            detail=failure.detail,
        )
        if failure
        else None,
        verified_at=datetime.now(UTC),
        seconds=round(seconds, 3),
    )
