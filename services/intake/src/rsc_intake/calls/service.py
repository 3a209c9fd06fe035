"""Programme and call operations. Each write stages its event in the same unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from rsc_common.db.types import utcnow
from rsc_common.events import add_event
from rsc_common.events.types import CallOpened
from rsc_common.http import ProblemError
from rsc_intake.calls.models import Call, FundingProgramme
from rsc_intake.calls.schemas import CallCreate, CallPublic, ProgrammeCreate

SOURCE = "rsc-intake"


def list_programmes(*, session: Session) -> list[FundingProgramme]:
    return list(session.exec(select(FundingProgramme).order_by(col(FundingProgramme.name))))


def create_programme(*, session: Session, data: ProgrammeCreate) -> FundingProgramme:
    if session.exec(select(FundingProgramme).where(FundingProgramme.name == data.name)).first():
        raise ProblemError(409, "duplicate-programme", f"a programme named {data.name!r} already exists")
    programme = FundingProgramme.model_validate(data)
    session.add(programme)
    session.commit()
    return programme


def list_calls(*, session: Session, open_only: bool, now: datetime | None = None) -> list[Call]:
    query = select(Call).order_by(col(Call.closes_at))
    if open_only:
        now = now or utcnow()
        query = query.where(col(Call.opens_at) <= now, col(Call.closes_at) > now)
    return list(session.exec(query))


def get_call(*, session: Session, call_id: uuid.UUID) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise ProblemError(404, "not-found", f"call {call_id} not found")
    return call


def create_call(*, session: Session, data: CallCreate) -> Call:
    programme = session.get(FundingProgramme, data.programme_id)
    if programme is None:
        raise ProblemError(422, "unknown-programme", f"programme {data.programme_id} does not exist")
    if session.exec(select(Call).where(Call.identifier == data.identifier)).first():
        raise ProblemError(409, "duplicate-call", f"a call with identifier {data.identifier!r} already exists")
    call = Call.model_validate(data)
    session.add(call)
    add_event(
        session,
        CallOpened(
            call_id=call.id,
            programme_id=programme.id,
            programme_name=programme.name,
            identifier=call.identifier,
            title=call.title,
            opens_at=call.opens_at,
            closes_at=call.closes_at,
        ),
        subject=str(call.id),
        source=SOURCE,
    )
    session.commit()
    return call


def to_public(call: Call, now: datetime | None = None) -> CallPublic:
    now = now or utcnow()
    return CallPublic(
        id=call.id,
        programme_id=call.programme_id,
        identifier=call.identifier,
        title=call.title,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        is_open=call.opens_at <= now < call.closes_at,
        created_at=call.created_at,
    )
