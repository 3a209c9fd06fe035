from __future__ import annotations

from sqlmodel import Session

from rsc_appraisal.calls.models import CallReference
from rsc_common.events import EventEnvelope
from rsc_common.events.types import CallOpened


def on_call_opened(session: Session, _envelope: EventEnvelope, data: CallOpened) -> None:
    # merge = upsert by primary key: a later correction of the same call overwrites the copy.
    session.merge(
        CallReference(
            call_id=data.call_id,
            programme_id=data.programme_id,
            programme_name=data.programme_name,
            identifier=data.identifier,
            title=data.title,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
        )
    )
