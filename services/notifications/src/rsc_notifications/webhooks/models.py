"""Webhook subscriptions, deliveries (with the dead-letter state) and the delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscription"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    # None: the funder's own systems (full events); else an institution (applicant-safe fields only)
    organisation_id: uuid.UUID | None = Field(default=None, index=True)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    url: str
    secret: str
    previous_secret: str | None = Field(default=None, description="Still signed with, until rotated again.")
    active: bool = True
    created_by: str
    created_at: datetime = timestamp_field()
    rotated_at: datetime | None = timestamp_field(nullable=True)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    dedupe_key: str = Field(unique=True, description="event x subscription")
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id", index=True)
    event_id: uuid.UUID
    event_type: str
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(description="pending | delivered | dead")
    attempts: int = 0
    next_attempt_at: datetime = timestamp_field()
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime = timestamp_field()
    delivered_at: datetime | None = timestamp_field(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: every attempt, its answer and how long it took."""

    __tablename__ = "webhook_attempt"

    id: uuid.UUID = Field(primary_key=True, default_factory=uuid.uuid4)
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    attempt: int
    at: datetime = timestamp_field()
    status_code: int | None = None
    error: str | None = None
    milliseconds: int
