"""The proposal document: what an applicant declares, covering the Recommendation's four
risk-factor categories (shared/reference/domain.md §1).

A draft may be incomplete (every block optional); `completeness_errors` lists what a submission
still needs. Submitted versions are frozen copies of this document.

Non-discrimination: there is no nationality, citizenship, ethnicity, place or date of birth, or
similar field anywhere; unknown fields are rejected, and intake names such fields explicitly.
Key researchers are described only by current appointments, talent-programme participation and
outside support (affiliation and funding facts).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from rsc_common.contracts.fields import CountryCode, LongText, Name, ShortText, Strict, text
from rsc_common.contracts.vocabulary import (
    CriticalTechnologyArea,
    OrganisationType,
    OutsideSupportKind,
    PartnerRole,
    PartnerType,
    SharedResource,
)

MAX_PARTNERS = 50
MAX_KEYWORDS = 20
MAX_RESEARCHERS = 50

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class Identifiers(Strict):
    pic: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None
    ror: Annotated[str, Field(pattern=r"^(https://ror\.org/)?0[a-z0-9]{6}\d{2}$")] | None = None
    lei: Annotated[str, Field(pattern=r"^[A-Z0-9]{18}\d{2}$")] | None = None
    vat: Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Za-z0-9+*.]{2,13}$")] | None = None


# ---------------------------------------------------------------------- applicant organisation


class SecurityContact(Strict):
    name: Name
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
    phone: text(40) | None = None


class NonEuFunder(Strict):
    name: Name
    country: CountryCode
    share_percent: Percent


class ForeignOwnership(Strict):
    """Ownership or control of the applicant organisation from outside the EU, if any."""

    owned_or_controlled_from_abroad: bool
    countries: Annotated[list[CountryCode], Field(max_length=20)] = []
    details: ShortText = ""


class OrganisationRiskProfile(Strict):
    """What the applicant organisation states about itself (category 1a)."""

    identifiers: Identifiers = Identifiers()
    security_contact: SecurityContact | None = None
    security_policy_in_place: bool | None = None
    security_governance: ShortText = ""
    dual_use_compliance_programme: bool | None = None
    non_eu_funding_share_percent: Percent | None = None
    largest_non_eu_funders: Annotated[list[NonEuFunder], Field(max_length=10)] = []
    foreign_ownership: ForeignOwnership | None = None


class OrganisationProfile(OrganisationRiskProfile):
    """The EU-based applicant organisation's own risk profile, with its registered identity."""

    legal_name: Name
    country: CountryCode
    organisation_type: OrganisationType


# -------------------------------------------------------------------------------- the proposal


class DataManagement(Strict):
    sensitive_personal_data: bool
    large_or_aggregated_datasets: bool
    statement: LongText = ""


class SensitiveInfrastructure(Strict):
    uses_sensitive_infrastructure: bool
    description: ShortText = ""


class ProposalDetails(Strict):
    acronym: text(30, 1) | None = None
    title: text(300, 1) | None = None
    abstract: text(5000) | None = None
    keywords: Annotated[list[text(60, 1)], Field(max_length=MAX_KEYWORDS)] = []
    # None = not answered yet; [] = "none of the ten areas" declared explicitly.
    critical_technology_areas: Annotated[list[CriticalTechnologyArea], Field(max_length=10)] | None = None
    requested_budget_eur: Annotated[Decimal, Field(gt=0, le=1_000_000_000, decimal_places=2)] | None = None
    duration_months: Annotated[int, Field(ge=1, le=120)] | None = None
    open_science_statement: LongText | None = None
    data_management: DataManagement | None = None
    sensitive_infrastructure: SensitiveInfrastructure | None = None


class ControllerKind(StrEnum):
    shareholder = "shareholder"
    parent_organisation = "parent_organisation"
    controlling_body = "controlling_body"  # e.g. a ministry or board with decisive influence
    other = "other"


class DeclaredController(Strict):
    """An owner or controller the applicant declares for a partner (screened like the partner)."""

    name: Name
    identifiers: Identifiers = Identifiers()
    country: CountryCode
    kind: ControllerKind
    share_percent: Percent | None = None
    decisive_influence: bool = False


class Partner(Strict):
    """A partner organisation (categories 1c third country and 1d due diligence)."""

    partner_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    name: Name
    aliases: Annotated[list[Name], Field(max_length=10)] = []
    identifiers: Identifiers = Identifiers()
    country: CountryCode = Field(description="Country of establishment.")
    ownership_control_countries: Annotated[list[CountryCode], Field(max_length=20)] = Field(
        default=[], description="Countries from which the partner is owned or controlled, if other."
    )
    partner_type: PartnerType
    role: PartnerRole
    budget_share_percent: Percent
    owners_and_controllers: Annotated[list[DeclaredController], Field(max_length=20)] = Field(
        default=[], description="Owners (significant shareholders) and controllers of the partner, as far as known."
    )
    shares: Annotated[list[SharedResource], Field(max_length=5)] = Field(
        default=[], description="What will be shared with or made available to this partner."
    )
    declared_end_use: ShortText = ""


class Appointment(Strict):
    organisation: Name
    country: CountryCode
    position: text(200, 1)
    since: date | None = None


class TalentProgramme(Strict):
    name: Name
    sponsor: Name
    sponsor_country: CountryCode
    since: date | None = None
    obligations: ShortText = ""


class OutsideSupport(Strict):
    source: Name
    country: CountryCode
    kind: OutsideSupportKind
    amount_eur: Annotated[Decimal, Field(ge=0, le=1_000_000_000)] | None = None
    description: ShortText = ""


class ResearcherDisclosure(Strict):
    """Current facts only: past affiliations that have ended are not asked."""

    researcher_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    full_name: Name
    orcid: Annotated[str, Field(pattern=r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")] | None = None
    role_in_project: text(200, 1)
    current_appointments: Annotated[list[Appointment], Field(max_length=20)] = []
    talent_programmes: Annotated[list[TalentProgramme], Field(max_length=10)] = []
    outside_support: Annotated[list[OutsideSupport], Field(max_length=20)] = []


class SelfAssessment(Strict):
    questionnaire_version: int = Field(ge=1, le=1_000_000)
    answers: dict[Annotated[str, Field(max_length=64)], Any] = Field(default={}, max_length=200)


class ProposalContent(Strict):
    """The editable part of a proposal: a draft is any subset; a submission must be complete."""

    details: ProposalDetails = ProposalDetails()
    partners: Annotated[list[Partner], Field(max_length=MAX_PARTNERS)] = []
    researchers: Annotated[list[ResearcherDisclosure], Field(max_length=MAX_RESEARCHERS)] = []
    self_assessment: SelfAssessment | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> ProposalContent:
        for label, ids in (
            ("partners", [p.partner_id for p in self.partners]),
            ("researchers", [r.researcher_id for r in self.researchers]),
        ):
            if len(ids) != len(set(ids)):
                raise ValueError(f"{label}: ids must be unique")
        return self


REQUIRED_DETAILS = (
    "acronym",
    "title",
    "abstract",
    "critical_technology_areas",
    "requested_budget_eur",
    "duration_months",
    "open_science_statement",
    "data_management",
    "sensitive_infrastructure",
)


def completeness_errors(content: ProposalContent) -> list[dict[str, str]]:
    """What a submission still lacks, as (JSON pointer, message) pairs; the questionnaire is checked separately."""
    errors = [
        {"pointer": f"/details/{name}", "message": "required for submission"}
        for name in REQUIRED_DETAILS
        if getattr(content.details, name) is None
    ]
    if not content.details.keywords:
        errors.append({"pointer": "/details/keywords", "message": "at least one keyword is required"})
    if not content.researchers:
        errors.append({"pointer": "/researchers", "message": "disclose at least the principal investigator"})
    if content.partners:
        total = sum(p.budget_share_percent for p in content.partners)
        if total > 100:
            errors.append({"pointer": "/partners", "message": f"budget shares add up to {total} %, more than 100 %"})
    if content.self_assessment is None:
        errors.append({"pointer": "/self_assessment", "message": "the research-security self-assessment is required"})
    return errors
