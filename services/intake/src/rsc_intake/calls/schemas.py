from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class ProgrammeBase(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    funder: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=5000)


class ProgrammeCreate(ProgrammeBase):
    model_config = ConfigDict(extra="forbid")


class ProgrammePublic(ProgrammeBase):
    id: uuid.UUID
    created_at: datetime


class CallBase(BaseModel):
    identifier: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    title: str = Field(min_length=3, max_length=500)
    opens_at: AwareDatetime
    closes_at: AwareDatetime


class CallCreate(CallBase):
    model_config = ConfigDict(extra="forbid")
    programme_id: uuid.UUID

    @model_validator(mode="after")
    def _closes_after_opening(self) -> CallCreate:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class CallPublic(CallBase):
    id: uuid.UUID
    programme_id: uuid.UUID
    is_open: bool
    created_at: datetime
