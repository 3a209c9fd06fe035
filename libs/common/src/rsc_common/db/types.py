"""Column helpers: UUID keys and timezone-aware timestamps everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp_field(*, nullable: bool = False, index: bool = False, default_now: bool = True):
    """A `timestamptz` column; naive datetimes never reach the database."""
    kwargs = {"default_factory": utcnow} if default_now and not nullable else {"default": None}
    return Field(sa_type=DateTime(timezone=True), nullable=nullable, index=index, **kwargs)
