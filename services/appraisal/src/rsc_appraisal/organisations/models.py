"""Canonical organisations: every partner (and declared owner, applicant, researcher affiliation)
is resolved to one record — identifiers first, then the normalised name and country — so an
officer sees in which other proposals and cases the same organisation appears and how they were
decided. Officers' match decisions (false positive / confirmed) are kept per organisation and
list entry (list key + stable entry id), so they survive new versions of the list.

A record is found by any of its keys: every identifier (LEI, ROR, PIC, VAT) and every normalised
name key it was ever declared with (`organisation_identifier`, `organisation_name_key`); the
`organisation.key` is the key it was created with. Resolution: organisations/service.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("key_kind", "key", name="uq_organisation_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key_kind: str  # "identifier" (key "lei:…", "ror:…", "pic:…", "vat:…") or "name" (key "<country>:<tokens>")
    key: str
    name: str
    country: str | None = None
    created_at: datetime = timestamp_field()


class OrganisationIdentifier(SQLModel, table=True):
    """An identifier seen for an organisation, normalised as for matching: it belongs to one organisation, and an
    organisation has at most one value per scheme (a second value of a scheme it has is not attached)."""

    __tablename__ = "organisation_identifier"
    __table_args__ = (UniqueConstraint("organisation_id", "scheme", name="uq_organisation_identifier_scheme"),)

    key: str = Field(primary_key=True)  # "<scheme>:<value>", e.g. "lei:529900T8BM49AURSDO55"
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    scheme: str  # lei, ror, pic or vat
    created_at: datetime = timestamp_field()


class OrganisationNameKey(SQLModel, table=True):
    """A normalised name key ("<country>:<tokens>") an organisation was declared under. Several organisations may
    share one (the same name with conflicting identifiers); a look-up by name takes the first one declared under it
    whose identifiers do not conflict."""

    __tablename__ = "organisation_name_key"

    key: str = Field(primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", primary_key=True, index=True)
    created_at: datetime = timestamp_field()


class OrganisationOccurrence(SQLModel, table=True):
    """Where an organisation appears: one row per proposal version and role in it."""

    __tablename__ = "organisation_occurrence"
    __table_args__ = (
        UniqueConstraint("organisation_id", "proposal_id", "version", "ref", name="uq_organisation_occurrence"),
        Index("ix_organisation_occurrence_proposal", "proposal_id", "version"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    proposal_id: uuid.UUID
    version: int
    ref: str  # OrganisationQuery.ref, e.g. "partner:<uuid>"
    pointer: str
    declared_name: str
    created_at: datetime = timestamp_field()


class MatchDecisionKind(StrEnum):
    false_positive = "false_positive"
    confirmed = "confirmed"


class MatchDecision(SQLModel, table=True):
    """Append-only: the latest decision per (organisation, list, entry) is the one that counts."""

    __tablename__ = "match_decision"
    __table_args__ = (Index("ix_match_decision_lookup", "organisation_id", "list_key", "entry_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    list_key: str
    entry_id: str
    decision: MatchDecisionKind
    reason: str
    decided_by: str
    decided_at: datetime = timestamp_field()
