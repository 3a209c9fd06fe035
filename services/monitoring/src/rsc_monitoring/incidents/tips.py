"""Rate limits of the confidential tip channel, kept in PostgreSQL so every API replica shares them.

A source is counted under a keyed hash (HMAC with a secret the service is configured with) of its
address and the current hour: the counter cannot be turned back into an address without the secret,
and rows of past hours are deleted as new ones are written, so nothing identifies a tipster later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session

from rsc_common.db.upsert import insert as pg_insert
from rsc_common.http.problem import ProblemError
from rsc_monitoring.incidents.models import TipRate
from rsc_monitoring.incidents.policy import IncidentPolicy


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def source_bucket(secret: str, source: str, hour: datetime) -> str:
    digest = hmac.new(secret.encode(), f"{source}|{hour.isoformat()}".encode(), hashlib.sha256).hexdigest()
    return f"src:{digest[:32]}"


def _count(session: Session, bucket: str, hour: datetime) -> int:
    statement = pg_insert(TipRate.__table__).values(bucket=bucket, window_start=hour, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["bucket"], set_={"count": TipRate.__table__.c.count + 1}
    ).returning(TipRate.__table__.c.count)
    return session.execute(statement).scalar_one()


def admit(session: Session, policy: IncidentPolicy, *, secret: str, source: str, now: datetime) -> None:
    """Count this tip; 429 when the source or the channel as a whole is over its hourly limit."""
    hour = hour_of(now)
    session.execute(delete(TipRate).where(TipRate.window_start < hour))
    per_source = _count(session, source_bucket(secret, source, hour), hour)
    overall = _count(session, f"all:{hour.isoformat()}", hour)
    if per_source > policy.tips_per_source_per_hour or overall > policy.tips_per_hour:
        session.commit()  # the attempt counts too
        raise ProblemError(
            429,
            "too-many-tips",
            "Too many tips from here (or in total) this hour; please try again later.",
            retry_after_seconds=int(hour.timestamp() + 3600 - now.timestamp()) + 1,
        )
