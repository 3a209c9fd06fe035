from __future__ import annotations

from sqlmodel import Field, SQLModel


class Preference(SQLModel, table=True):
    """A user's choice for one category: immediate, daily digest, or off."""

    __tablename__ = "preference"

    subject: str = Field(primary_key=True)
    category: str = Field(primary_key=True)
    mode: str
