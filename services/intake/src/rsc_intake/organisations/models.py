"""Applicant organisations (EU-based beneficiaries). The intake issue extends the risk profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from rsc_common.db.types import timestamp_field


class OrganisationType(StrEnum):
    higher_education = "higher_education"
    public_research = "public_research"
    private_research = "private_research"
    company = "company"
    other = "other"


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
    created_at: datetime = timestamp_field()
