"""Tables of deliveries (migration 0002).

- `notification`: one e-mail for one recipient about one event. `dedupe_key` (event x recipient x
  channel) is unique, so a redelivered or replayed event never creates a second one; the e-mail's
  Message-ID is derived from it, so a receiver can drop the one duplicate a crash between the SMTP
  server's acceptance and our commit could still cause.
- `proposal_contact`, `case_assignment`: what routing needs to know (who submitted a proposal; who is
  assigned to a case), folded from events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    dedupe_key: str = Field(unique=True)
    event_id: uuid.UUID
    event_type: str
    category: str
    recipient_subject: str = Field(index=True)
    recipient_email: str
    locale: str
    subject: str
    body_text: str
    body_html: str
    link: str | None = None
    status: str = Field(description="pending | digest | sent")
    attempts: int = 0
    next_attempt_at: datetime = timestamp_field()
    last_error: str | None = None
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = timestamp_field(nullable=True)


class ProposalContact(SQLModel, table=True):
    __tablename__ = "proposal_contact"

    proposal_id: uuid.UUID = Field(primary_key=True)
    submitted_by: str
    organisation_id: uuid.UUID
    acronym: str | None = None
    title: str | None = None
    call_identifier: str


class CaseAssignment(SQLModel, table=True):
    __tablename__ = "case_assignment"

    proposal_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    case_id: uuid.UUID
    assignees: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = timestamp_field()


class ParkedEvent(SQLModel, table=True):
    """An event that overtook the submission naming its applicant (topics are consumed in parallel):
    kept until that submission is folded, then routed."""

    __tablename__ = "parked_event"

    event_id: uuid.UUID = Field(primary_key=True)
    proposal_id: uuid.UUID = Field(index=True)
    envelope: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    parked_at: datetime = timestamp_field()
