"""Audit-log test helpers: events as the services emit them, appended through the real code path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from rsc_common.events import EventEnvelope
from rsc_monitoring.audit.describe import describe
from rsc_monitoring.audit.service import append

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def decided(n: int, *, proposal_id: uuid.UUID | None = None, actor: str = "officer-1") -> EventEnvelope:
    proposal_id = proposal_id or uuid.uuid4()
    return EventEnvelope(
        type="appraisal.decided",
        schema_version=1,
        source="rsc-appraisal",
        subject=str(proposal_id),
        time=T0 + timedelta(minutes=n),
        data={
            "case_id": str(uuid.uuid4()),
            "proposal_id": str(proposal_id),
            "version": 1,
            "outcome": "cleared_with_safeguards",
            "reason": f"decision number {n}: partner assurances obtained",
            "appeal_path": None,
            "decided_by": [actor, "adviser-1"],
            "level": "high",
            "decided_at": (T0 + timedelta(minutes=n)).isoformat(),
        },
    )


def append_events(engine: Engine, envelopes: list[EventEnvelope]) -> int:
    with Session(engine) as session:
        added = append(session, [describe(e) for e in envelopes])
        session.commit()
    return added
