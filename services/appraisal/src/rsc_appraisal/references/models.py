"""Versioned reference data: screening policies, country-profile sets and entity-list versions.

Every import is a new row (never edited in place): the learning approach of the Recommendation
asks for versioned policies and data with review dates, and every screening records the versions
it used. A version is `draft` when loaded, `active` once an admin activates it (the previous
active version of the same key becomes `superseded`). Every change is also appended to
`reference_change` (who, when, what) and published as an event for the audit log.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class DatasetKind(StrEnum):
    policy = "policy"
    country_profiles = "country_profiles"
    entity_list = "entity_list"


class DatasetStatus(StrEnum):
    draft = "draft"
    active = "active"
    superseded = "superseded"


class ReferenceDataset(SQLModel, table=True):
    __tablename__ = "reference_dataset"
    __table_args__ = (
        UniqueConstraint("kind", "key", "version_label", name="uq_reference_dataset_version"),
        Index("ix_reference_dataset_active", "kind", "key", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: DatasetKind
    # "default" for policies and country profiles; the list key for entity lists (e.g. "eu-fsf").
    key: str
    version_label: str
    status: DatasetStatus = DatasetStatus.draft
    title: str
    source: str
    retrieved_at: datetime | None = timestamp_field(nullable=True)
    review_by: date | None = None
    example_data: bool = False
    sha256: str
    # counts and other facts shown in listings (entries, relations, indicators, rules...)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    # the whole dataset for policies and country profiles; list metadata + relations for entity lists
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    imported_by: str
    imported_at: datetime = timestamp_field()
    activated_by: str | None = None
    activated_at: datetime | None = timestamp_field(nullable=True)


class ListEntryRow(SQLModel, table=True):
    """One entry of one entity-list version (a `ListEntry` document)."""

    __tablename__ = "list_entry"

    dataset_id: uuid.UUID = Field(foreign_key="reference_dataset.id", primary_key=True)
    entry_id: str = Field(primary_key=True)
    document: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class ReferenceChange(SQLModel, table=True):
    """Append-only record of every import, activation and supersession."""

    __tablename__ = "reference_change"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="reference_dataset.id", index=True)
    action: str
    actor: str
    at: datetime = timestamp_field()
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
