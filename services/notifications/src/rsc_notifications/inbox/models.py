from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class InboxItem(SQLModel, table=True):
    """One in-app notification for one user (Keycloak subject)."""

    __tablename__ = "inbox_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # event x recipient x channel: a redelivered event never adds a second item
    dedupe_key: str | None = Field(default=None, unique=True)
    recipient_subject: str = Field(index=True)
    category: str
    title: str
    body: str
    link: str | None = None
    created_at: datetime = timestamp_field()
    read_at: datetime | None = timestamp_field(nullable=True)
