"""Tables of the audit log (migration 0002).

- `audit_entry`: append-only and hash-chained. The migration revokes UPDATE, DELETE and TRUNCATE
  from the service's own role and installs triggers that refuse them anyway, so neither the API nor
  the database role the service uses has a path to change or remove an entry.
- `audit_chain_head`: one row, the last sequence number and hash. Appenders lock it, so entries are
  chained one batch at a time however many monitoring workers run.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_occurred_at", "occurred_at"),
        Index("ix_audit_entry_service_action", "service", "action"),
        Index("ix_audit_entry_actor", "actor"),
        Index("ix_audit_entry_proposal", "proposal_id", postgresql_where="proposal_id IS NOT NULL"),
        Index("ix_audit_entry_grant", "grant_reference", postgresql_where="grant_reference <> ''"),
        Index("ix_audit_entry_organisation", "organisation_id", postgresql_where="organisation_id IS NOT NULL"),
        Index("ix_audit_entry_incident", "incident_type", "severity", postgresql_where="incident_type <> ''"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    event_id: uuid.UUID = Field(unique=True)
    occurred_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()
    service: str
    action: str
    actor: str
    subject: str
    proposal_id: uuid.UUID | None = None
    grant_reference: str = ""
    organisation_id: uuid.UUID | None = None
    incident_type: str = ""
    severity: str = ""
    exercise: bool = False
    description: str
    details: str = Field(description="Canonical JSON of the event's auditable fields.")
    event_sha256: str = Field(description="SHA-256 of the whole event envelope as received.")
    prev_hash: str
    entry_hash: str


class AuditChainHead(SQLModel, table=True):
    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    last_hash: str
    updated_at: datetime = timestamp_field()
