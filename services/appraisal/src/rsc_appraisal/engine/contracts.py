"""The data that flows between the screening engine's parts (shared contract; change with care).

    watchlist importers --ListVersionData--> matching index --MatchCandidate--> engine
    classifier ------------------------------ClassificationResult-----------> engine
    country-profile importer ----------------CountryProfileSet--------------> engine
    engine(ScreeningInput, Policy, references) -> ScreeningResult

Every model is frozen: a screening is a pure function of its inputs plus the policy and
reference-data versions, so nothing may be mutated on the way. Country codes are ISO 3166-1
alpha-2 and appear only as data, never in code or policy rules (country-agnostic principle).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from rsc_common.contracts.proposal import (
    Appointment,
    OrganisationProfile,
    OutsideSupport,
    Partner,
    ProposalDetails,
    TalentProgramme,
)
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------------------ risk vocabulary


class RiskLevel(StrEnum):
    """Ordered: compare with `RISK_ORDER` (or `level_rank`), never alphabetically."""

    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


RISK_ORDER: tuple[RiskLevel, ...] = (RiskLevel.low, RiskLevel.medium, RiskLevel.high, RiskLevel.very_high)


def level_rank(level: RiskLevel) -> int:
    return RISK_ORDER.index(level)


class FactorCategory(StrEnum):
    """The Recommendation's four risk-factor categories (domain.md §1a-1d)."""

    applicant_organisation = "applicant_organisation"
    research_domain = "research_domain"
    third_country = "third_country"
    partner_organisation = "partner_organisation"


# ------------------------------------------------------------------------------- entity lists


class ListKind(StrEnum):
    sanctions = "sanctions"
    export_control = "export_control"
    watchlist = "watchlist"  # funder-maintained
    other = "other"


class ListEntry(Frozen):
    """One listed party. `entry_id` is stable across versions of the same list (e.g. the EU list's
    logical id, a FollowTheMoney entity id, a watch-list row id), so decisions about an entry (false
    positives) survive list updates."""

    entry_id: Annotated[str, Field(min_length=1, max_length=200)]
    # False for parties that a list only carries as related parties (e.g. a FollowTheMoney entity that is
    # not a target but owns or is owned by one): matched for ownership chains, never flagged on their own.
    listed: bool = True
    schema_name: str = Field(description="FollowTheMoney schema, e.g. Organization, Company, Person.")
    names: tuple[str, ...] = Field(min_length=1, description="Primary name first, then the other names and aliases.")
    weak_aliases: tuple[str, ...] = ()
    identifiers: dict[str, str] = Field(default={}, description="scheme -> value (lei, ror, pic, vat, registration).")
    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = Field(default=(), description="FollowTheMoney topics, e.g. sanction.")
    programme: str = ""
    reason: str = ""
    source_url: str = ""


class RelationKind(StrEnum):
    ownership = "ownership"  # owner holds shares of / owns the asset
    directorship = "directorship"  # director manages / controls the organisation
    subsidiary = "subsidiary"  # parent -> subsidiary (treated as control)


class Relation(Frozen):
    """`controller_id` owns, directs or is the parent of `controlled_id` (both entry ids of the same list)."""

    kind: RelationKind
    controller_id: str
    controlled_id: str
    share_percent: float | None = Field(default=None, ge=0, le=100)
    decisive_influence: bool | None = None


class ListVersionData(Frozen):
    """One imported version of one list, with provenance."""

    list_key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
    title: str
    kind: ListKind
    version_label: str
    source: str = Field(description="Where it came from: URL or file name and publisher.")
    retrieved_at: datetime
    entries: tuple[ListEntry, ...]
    relations: tuple[Relation, ...] = ()


# ----------------------------------------------------------------------------------- matching


class OrganisationQuery(Frozen):
    """An organisation to screen: a partner, an owner or controller declared for it, the applicant,
    or an organisation named in a key researcher's current appointment or outside support."""

    ref: str = Field(description="Where it comes from, e.g. 'partner:<uuid>', 'partner:<uuid>/owner:0'.")
    pointer: str = Field(description="JSON pointer into the proposal snapshot, e.g. '/content/partners/2'.")
    name: str
    aliases: tuple[str, ...] = ()
    identifiers: dict[str, str] = {}
    countries: tuple[str, ...] = ()


class FeatureScore(Frozen):
    """One feature of a candidate's score, for the explanation shown to officers."""

    feature: str = Field(description="e.g. 'identifier.lei', 'name.fuzzy', 'name.token_set', 'country.mismatch'.")
    score: float
    detail: str


class OwnershipLink(Frozen):
    controller_id: str
    controller_name: str
    controlled_id: str
    controlled_name: str
    kind: RelationKind
    share_percent: float | None = None


class MatchCandidate(Frozen):
    query_ref: str
    list_key: str
    list_version: str
    list_kind: ListKind
    entry_id: str
    entry_caption: str
    matched_name: str = Field(description="The entry name or alias that scored best.")
    query_name: str = Field(description="The query name or alias that scored best.")
    score: float = Field(ge=0, le=1)
    features: tuple[FeatureScore, ...]
    identifier_match: bool = False
    topics: tuple[str, ...] = ()
    # Set when the matched entry is not itself listed for screening purposes but is owned or controlled by a
    # listed entity (majority ownership or decisive influence, any depth): the chain from listed controller down
    # to the matched entry.
    control_chain: tuple[OwnershipLink, ...] = ()
    listed_controller_id: str | None = None


class MatchResult(Frozen):
    query: OrganisationQuery
    candidates: tuple[MatchCandidate, ...]


# ----------------------------------------------------------------------------- classification


class AreaSignal(Frozen):
    area: CriticalTechnologyArea
    confidence: float = Field(ge=0, le=1)
    phrases: tuple[str, ...] = Field(description="The text phrases that triggered it, as found.")
    technologies: tuple[str, ...] = Field(default=(), description="Technologies of the taxonomy they belong to.")


class DualUseSignal(Frozen):
    category: DualUseCategory
    confidence: float = Field(ge=0, le=1)
    phrases: tuple[str, ...]


class ClassificationResult(Frozen):
    classifier_version: str
    areas: tuple[AreaSignal, ...] = ()
    dual_use: tuple[DualUseSignal, ...] = ()
    # declared but no textual support (implausible) / found with confidence but not declared (undeclared)
    undeclared_areas: tuple[CriticalTechnologyArea, ...] = ()
    implausible_declared_areas: tuple[CriticalTechnologyArea, ...] = ()


# -------------------------------------------------------------------------- country profiles


class IndicatorValue(Frozen):
    value: bool | float | str | None
    source: str
    retrieved: date
    note: str = ""


class CountryProfile(Frozen):
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    indicators: dict[str, IndicatorValue]


class CountryProfileSet(Frozen):
    version_label: str
    source: str
    example_data: bool = Field(description="True for the shipped illustrative file: never for real decisions.")
    imported_at: datetime
    indicator_names: tuple[str, ...]
    profiles: dict[str, CountryProfile]


# ------------------------------------------------------------------------------------ results


class Evidence(Frozen):
    kind: str = Field(description="e.g. 'declaration', 'list_match', 'ownership_chain', 'country_indicator', 'text'.")
    detail: str
    pointer: str | None = Field(default=None, description="JSON pointer into the proposal snapshot.")
    source: str | None = Field(default=None, description="List, indicator source or classifier version.")
    data: dict[str, object] = {}


class Flag(Frozen):
    rule_id: str
    category: FactorCategory
    title: str
    level: RiskLevel = Field(description="The level this flag alone implies.")
    weight: float = 0.0
    hard_gate: bool = False
    requires_review: bool = Field(default=True, description="A person must look at it (it prevents auto-clear).")
    subject: str = Field(description="What it is about: 'proposal', 'applicant', or an OrganisationQuery.ref.")
    evidence: tuple[Evidence, ...]


class CategoryResult(Frozen):
    category: FactorCategory
    level: RiskLevel
    score: float
    flags: tuple[Flag, ...]


class SafeguardRecommendation(Frozen):
    measure_id: str
    title: str
    triggered_by: tuple[str, ...] = Field(description="Rule ids of the flags that call for it.")


class ScreeningResult(Frozen):
    level: RiskLevel
    categories: tuple[CategoryResult, ...]
    flags: tuple[Flag, ...]
    safeguards: tuple[SafeguardRecommendation, ...]
    policy_version: str
    reference_versions: dict[str, str] = Field(description="e.g. classifier, countries, list:<key>.")
    input_hash: str = Field(description="SHA-256 of the canonical ScreeningInput.")
    warnings: tuple[str, ...] = Field(default=(), description="e.g. policy past its review date, example data in use.")
    auto_clear: bool = Field(description="Low risk and no flag requiring a person: cleared without an officer.")


# --------------------------------------------------------------------------------- engine input


class ResearcherFacts(Frozen):
    """A key researcher's current affiliation and funding facts: no name, no ORCID, nothing personal
    beyond what the non-discrimination principle allows (domain.md §8)."""

    researcher_id: uuid.UUID
    role_in_project: str
    current_appointments: tuple[Appointment, ...] = ()
    talent_programmes: tuple[TalentProgramme, ...] = ()
    outside_support: tuple[OutsideSupport, ...] = ()


class ScreeningInput(Frozen):
    """What the engine may read: organisation and project attributes only. Built from a
    ProposalSnapshot by `engine.inputs.from_snapshot`; pointers in evidence refer to the snapshot
    (e.g. '/content/partners/2/name'). Its canonical JSON is hashed into `input_hash`."""

    proposal_id: uuid.UUID
    version: int = Field(ge=1)
    call_identifier: str
    applicant: OrganisationProfile
    details: ProposalDetails
    partners: tuple[Partner, ...]
    researchers: tuple[ResearcherFacts, ...]
    self_assessment_answers: dict[str, object] = {}
