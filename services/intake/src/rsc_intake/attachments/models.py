"""The `attachment` table (created by migration 0002)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String
from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class AttachmentKind(StrEnum):
    partnership_agreement = "partnership_agreement"
    memorandum_of_understanding = "memorandum_of_understanding"
    ethics_approval = "ethics_approval"
    partner_assurance = "partner_assurance"
    export_licence = "export_licence"
    other = "other"


class Attachment(SQLModel, table=True):
    """One uploaded document. Its bytes live in attachment storage under `storage_key`."""

    __tablename__ = "attachment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    # A plain string column (as in the migration); values are `AttachmentKind` members.
    kind: AttachmentKind = Field(sa_type=String())
    # Sanitised, as shown to users; never used to build a storage path.
    filename: str
    # What the content was sniffed as, never what the client declared.
    media_type: str
    size_bytes: int = Field(sa_type=BigInteger())
    sha256: str
    storage_key: str
    uploaded_by: str
    uploaded_at: datetime = timestamp_field()
    # The proposal version that first included it; from then on it cannot be deleted.
    frozen_in_version: int | None = None
