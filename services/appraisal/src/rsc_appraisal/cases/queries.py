"""Read side of the casework: the officer queue, case detail with linked cases, statistics."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from rsc_appraisal.cases.models import AppraisalCase, CaseChangeRow, CaseNote
from rsc_appraisal.cases.states import ACTIVE, CaseStatus
from rsc_appraisal.organisations.models import MatchDecision
from rsc_appraisal.screenings.models import Screening
from rsc_appraisal.sla.models import SlaClockRow
from rsc_common.auth import Principal
from rsc_common.db.types import utcnow

SLA_AT_RISK_DAYS = 5  # "at risk": projected to breach, or due within this many calendar days


@dataclass
class QueueFilter:
    status: list[str] | None = None
    level: list[str] | None = None
    assignee: str | None = None
    call_identifier: str | None = None
    programme: str | None = None
    sla_due_within_days: int | None = None
    overdue: bool | None = None
    include_closed: bool = False
    auto_cleared: bool | None = None
    proposal_id: uuid.UUID | None = None


def _sla_join():
    return and_(SlaClockRow.proposal_id == AppraisalCase.proposal_id, SlaClockRow.version == AppraisalCase.version)


def list_cases(
    session: Session, f: QueueFilter, *, limit: int, offset: int, now: datetime | None = None
) -> tuple[list[tuple[AppraisalCase, SlaClockRow | None]], int]:
    now = now or utcnow()
    query = select(AppraisalCase, SlaClockRow).join(SlaClockRow, _sla_join(), isouter=True)
    conditions = []
    if f.status:
        conditions.append(col(AppraisalCase.status).in_(f.status))
    elif not f.include_closed:
        conditions.append(col(AppraisalCase.status).in_([s.value for s in ACTIVE]))
    if f.level:
        conditions.append(col(AppraisalCase.level).in_(f.level))
    if f.assignee:
        conditions.append(col(AppraisalCase.assignees).contains([{"subject": f.assignee}]))
    if f.call_identifier:
        conditions.append(AppraisalCase.call_identifier == f.call_identifier)
    if f.programme:
        conditions.append(AppraisalCase.programme == f.programme)
    if f.proposal_id is not None:
        conditions.append(AppraisalCase.proposal_id == f.proposal_id)
    if f.auto_cleared is not None:
        conditions.append(AppraisalCase.auto_cleared == f.auto_cleared)
    if f.sla_due_within_days is not None:
        conditions += [
            SlaClockRow.status != "stopped",
            SlaClockRow.due_at <= now + timedelta(days=f.sla_due_within_days),
        ]
    if f.overdue is not None:
        overdue = and_(SlaClockRow.status != "stopped", or_(SlaClockRow.breached, SlaClockRow.due_at < now))
        conditions.append(overdue if f.overdue else or_(SlaClockRow.clock_id.is_(None), ~overdue))
    if conditions:
        query = query.where(*conditions)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(
            col(SlaClockRow.due_at).asc().nulls_last(), col(AppraisalCase.received_at), col(AppraisalCase.id)
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_case(session: Session, case_id: uuid.UUID) -> AppraisalCase | None:
    return session.get(AppraisalCase, case_id)


def sla_of(session: Session, case: AppraisalCase) -> SlaClockRow | None:
    return session.exec(select(SlaClockRow).where(_sla_join(), AppraisalCase.id == case.id)).first()


def may_read_notes(case: AppraisalCase, principal: Principal) -> bool:
    """Need-to-know: the reviewers assigned to the case and security advisers."""
    return principal.has_any("security_adviser") or any(a["subject"] == principal.subject for a in case.assignees)


def notes_of(session: Session, case_id: uuid.UUID) -> list[CaseNote]:
    return list(session.exec(select(CaseNote).where(CaseNote.case_id == case_id).order_by(col(CaseNote.created_at))))


def timeline(session: Session, case_id: uuid.UUID) -> list[CaseChangeRow]:
    return list(
        session.exec(select(CaseChangeRow).where(CaseChangeRow.case_id == case_id).order_by(col(CaseChangeRow.seq)))
    )


def linked_cases(session: Session, case: AppraisalCase) -> list[tuple[AppraisalCase, list[str]]]:
    """Other cases (other proposals) that share a canonical partner organisation with this one."""
    if not case.organisation_ids:
        return []
    mine = set(case.organisation_ids)
    others = session.exec(
        select(AppraisalCase)
        .where(
            AppraisalCase.proposal_id != case.proposal_id,
            or_(*[col(AppraisalCase.organisation_ids).contains([o]) for o in mine]),
        )
        .order_by(col(AppraisalCase.received_at).desc())
        .limit(100)
    ).all()
    return [(other, sorted(mine & set(other.organisation_ids))) for other in others]


def match_decisions(session: Session, case: AppraisalCase) -> list[MatchDecision]:
    """Confirmed matches and false positives on the case's organisations, whichever case recorded them."""
    if not case.organisation_ids:
        return []
    ids = [uuid.UUID(o) for o in case.organisation_ids]
    return list(
        session.exec(
            select(MatchDecision)
            .where(col(MatchDecision.organisation_id).in_(ids))
            .order_by(col(MatchDecision.decided_at).desc())
        )
    )


def screening_summary(session: Session, case: AppraisalCase) -> dict:
    screening = session.get(Screening, case.screening_id)
    if screening is None:
        return {}
    result = screening.result
    return {
        "id": str(screening.id),
        "level": screening.level,
        "policy_version": screening.policy_version,
        "reference_versions": screening.reference_versions,
        "flags": result.get("flags", []),
        "categories": result.get("categories", []),
        "safeguards": result.get("safeguards", []),
        "matches": result.get("matches", []),
        "warnings": result.get("warnings", []),
    }


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def case_statistics(session: Session, *, call_identifier: str | None = None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    where = [AppraisalCase.call_identifier == call_identifier] if call_identifier else []
    active = [s.value for s in ACTIVE]
    open_by_level = dict(
        session.exec(
            select(AppraisalCase.level, func.count())
            .where(col(AppraisalCase.status).in_(active), *where)
            .group_by(AppraisalCase.level)
        ).all()
    )
    open_by_status = dict(
        session.exec(
            select(AppraisalCase.status, func.count())
            .where(col(AppraisalCase.status).in_(active), *where)
            .group_by(AppraisalCase.status)
        ).all()
    )
    running = select(func.count()).select_from(AppraisalCase).join(SlaClockRow, _sla_join())
    running = running.where(SlaClockRow.status != "stopped", *where)
    at_risk = session.exec(
        running.where(or_(SlaClockRow.projected_breach, SlaClockRow.due_at <= now + timedelta(days=SLA_AT_RISK_DAYS)))
    ).one()
    overdue = session.exec(running.where(or_(SlaClockRow.breached, SlaClockRow.due_at < now))).one()
    durations = [
        (decided - received).total_seconds() / 86_400
        for received, decided in session.exec(
            select(AppraisalCase.received_at, AppraisalCase.decided_at).where(
                col(AppraisalCase.decided_at).is_not(None), AppraisalCase.auto_cleared.is_(False), *where
            )
        ).all()
    ]
    counted = [CaseStatus.screening.value]
    total = session.exec(
        select(func.count()).select_from(AppraisalCase).where(col(AppraisalCase.status).not_in(counted), *where)
    ).one()
    auto = session.exec(
        select(func.count()).select_from(AppraisalCase).where(AppraisalCase.auto_cleared.is_(True), *where)
    ).one()
    return {
        "open_by_level": open_by_level,
        "open_by_status": open_by_status,
        "sla_at_risk": at_risk,
        "sla_overdue": overdue,
        "decided": len(durations),
        "appraisal_days_median": statistics.median(durations) if durations else None,
        "appraisal_days_p90": _percentile(durations, 0.9),
        "auto_cleared": auto,
        "total": total,
        "share_auto_cleared": auto / total if total else None,
    }
