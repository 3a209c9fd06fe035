"""One published version of a call's research-security questionnaire. Rows are never updated:
a change is published as the next version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class Questionnaire(SQLModel, table=True):
    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("call_id", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_id: uuid.UUID = Field(foreign_key="call.id", index=True)
    version: int
    # A validated `QuestionnaireDefinition` (schemas.py), stored as JSON.
    definition: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    published_at: datetime = timestamp_field()
    published_by: str
