"""Applicant organisations (EU-based beneficiaries). The intake issue extends the risk profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from rsc_common.contracts.vocabulary import OrganisationType
from rsc_common.db.types import timestamp_field


class ApplicantOrganisation(SQLModel, table=True):
    __tablename__ = "applicant_organisation"

    # Same id as the `organisation_id` attribute of the organisation's users in Keycloak.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    legal_name: str
    # ISO 3166-1 alpha-2 of the country of establishment: data, never a rule.
    country_code: str = Field(min_length=2, max_length=2)
    organisation_type: OrganisationType
    pic: str | None = None
    ror: str | None = None
    # The full risk profile (rsc_common.contracts.proposal.OrganisationProfile), kept by the
    # organisation itself and frozen into every submitted proposal version.
    profile: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    row_version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime | None = timestamp_field(nullable=True)
