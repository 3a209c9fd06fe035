"""The SLA clock's one activity: record a notice (outbox event + read-model row) exactly once.

`SlaActivities` holds the worker's database engine (created by the worker process, see `cli.py`).
`record` runs in the worker's activity thread pool; one transaction does three things:

1. insert the notice's key into `sla_clock_event` (`ON CONFLICT DO NOTHING`): if the key is there,
   an earlier attempt committed everything already, so nothing more is written;
2. stage the event in the transactional outbox (`add_event`; the relay publishes it to Kafka);
3. upsert the clock's `sla_clock` row, unless a later notice already wrote it (`last_seq`).

A retried attempt (worker crash after the commit, timeout, lost completion) therefore never emits
twice; concurrent attempts serialise on the key's unique index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from rsc_appraisal.sla.contracts import RECORD_ACTIVITY, NoticeKind, RecordSlaInput, RecordSlaResult
from rsc_appraisal.sla.models import SlaClockEventRow, SlaClockRow
from rsc_common.db import session_factory
from rsc_common.db.upsert import insert
from rsc_common.events import EventData, add_event
from rsc_common.events.types import SlaBreached, SlaClockChanged, SlaEscalated, SlaExtended, SlaReminder

SOURCE = "rsc-appraisal"
CLOCK_TABLE = SlaClockRow.__table__
LEDGER_TABLE = SlaClockEventRow.__table__


def _value(value: Any) -> Any:
    return getattr(value, "value", value)  # enums as their values


def build_event(data: RecordSlaInput) -> EventData:
    """The event payload of a notice (pure; raises `ValueError` for an inconsistent notice)."""
    snap, notice = data.snapshot, data.notice
    common: dict[str, Any] = {
        "clock_id": snap.clock_id,
        "case_ref": snap.case_ref,
        "proposal_id": snap.proposal_id,
        "version": snap.version,
        "programme": snap.programme,
        "config_version": snap.config_version,
        "level": _value(snap.level),
        "status": _value(snap.status),
        "due_at": snap.due_at,
        "budget_working_days": snap.budget_working_days + snap.extension_working_days,
        "used_working_days": snap.used_working_days,
        "remaining_working_days": snap.remaining_working_days,
        "at": notice.at,
    }
    match notice.kind:
        case NoticeKind.reminder:
            return SlaReminder(**common, fraction=notice.fraction)
        case NoticeKind.escalated:
            return SlaEscalated(**common, fraction=notice.fraction, to_role=notice.to_role)
        case NoticeKind.breached:
            return SlaBreached(**common)
        case NoticeKind.extended:
            return SlaExtended(
                **common,
                working_days=notice.working_days,
                reason=notice.reason,
                actor=notice.actor,
                previous_due_at=notice.previous_due_at,
            )
        case NoticeKind.clock_changed:
            return SlaClockChanged(
                **common,
                change=_value(notice.change),
                actor=notice.actor,
                reason=notice.reason,
                previous_level=_value(notice.previous_level),
                outcome=_value(notice.outcome),
            )
    raise ValueError(f"unknown notice kind {notice.kind!r}")


def read_model_row(data: RecordSlaInput) -> dict[str, Any]:
    snap = data.snapshot
    return {
        "clock_id": snap.clock_id,
        "case_ref": snap.case_ref,
        "proposal_id": snap.proposal_id,
        "version": snap.version,
        "programme": snap.programme,
        "config_version": snap.config_version,
        "calendar_id": snap.calendar_id,
        "level": _value(snap.level),
        "status": _value(snap.status),
        "outcome": _value(snap.outcome),
        "paused": snap.paused,
        "paused_since": snap.paused_since,
        "started_at": snap.started_at,
        "due_at": snap.due_at,
        "budget_working_days": snap.budget_working_days,
        "extension_working_days": snap.extension_working_days,
        "used_working_days": snap.used_working_days,
        "remaining_working_days": snap.remaining_working_days,
        "breached": snap.breached,
        "breached_at": snap.breached_at,
        "escalated_at": snap.escalated_at,
        "projected_breach": snap.projected_breach,
        "time_to_grant_due_at": snap.time_to_grant_due_at,
        "last_seq": snap.seq,
        "as_of": snap.as_of,
    }


class SlaActivities:
    """Activities of the SLA clock; one instance per worker, holding its database engine."""

    def __init__(self, engine: Engine) -> None:
        self._session = session_factory(engine)

    @activity.defn(name=RECORD_ACTIVITY)
    def record(self, data: RecordSlaInput) -> RecordSlaResult:
        try:
            event = build_event(data)
        except ValueError as exc:  # a bug in the clock, not a transient failure: retrying cannot help
            raise ApplicationError(f"invalid SLA notice {data.notice.key}: {exc}", non_retryable=True) from exc
        notice = data.notice
        with self._session() as session:
            claimed = session.execute(
                insert(LEDGER_TABLE)
                .values(
                    key=notice.key,
                    clock_id=data.snapshot.clock_id,
                    seq=notice.seq,
                    kind=_value(notice.kind),
                    event_type=event.event_type,
                )
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(LEDGER_TABLE.c.key)
            ).first()
            if claimed is None:
                session.rollback()
                activity.logger.info("SLA notice %s was recorded by an earlier attempt", notice.key)
                return RecordSlaResult(key=notice.key, emitted=False)
            envelope = add_event(session, event, subject=str(data.snapshot.proposal_id), source=SOURCE)
            session.execute(update(LEDGER_TABLE).where(LEDGER_TABLE.c.key == notice.key).values(event_id=envelope.id))
            row = {**read_model_row(data), "updated_at": func.now()}
            upsert = insert(CLOCK_TABLE).values(**row)
            session.execute(
                upsert.on_conflict_do_update(
                    index_elements=["clock_id"],
                    set_={name: upsert.excluded[name] for name in row if name != "clock_id"},
                    where=CLOCK_TABLE.c.last_seq < upsert.excluded.last_seq,
                )
            )
            session.commit()
        return RecordSlaResult(key=notice.key, emitted=True, event_id=envelope.id)
