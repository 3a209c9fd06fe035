"""Funding programmes and their calls for proposals."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class FundingProgramme(SQLModel, table=True):
    __tablename__ = "funding_programme"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(unique=True)
    funder: str
    description: str = ""
    created_at: datetime = timestamp_field()


class Call(SQLModel, table=True):
    __tablename__ = "call"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    programme_id: uuid.UUID = Field(foreign_key="funding_programme.id", index=True)
    identifier: str = Field(unique=True)
    title: str
    opens_at: datetime = timestamp_field(default_now=False)
    closes_at: datetime = timestamp_field(default_now=False)
    created_at: datetime = timestamp_field()
