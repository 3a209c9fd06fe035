"""Appraisal's read model of the funder's calls, fed by `call.opened` from intake.

Screening needs the call's context (programme, deadlines for time-to-grant) without a
synchronous call to intake, so appraisal keeps its own copy.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class CallReference(SQLModel, table=True):
    __tablename__ = "call_reference"

    call_id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID
    programme_name: str
    identifier: str
    title: str
    opens_at: datetime = timestamp_field(default_now=False)
    closes_at: datetime = timestamp_field(default_now=False)
    received_at: datetime = timestamp_field()
