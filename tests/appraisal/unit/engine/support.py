"""Builders and fakes for engine tests: snapshots, a dict-based matcher, a fixed classifier, profiles."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rsc_appraisal.countries import default_indicator_set
from rsc_appraisal.engine.contracts import (
    AreaSignal,
    ClassificationResult,
    CountryProfile,
    CountryProfileSet,
    DualUseSignal,
    IndicatorValue,
    ListKind,
    MatchCandidate,
    MatchResult,
    OrganisationQuery,
    OwnershipLink,
    RelationKind,
)
from rsc_appraisal.engine.references import References
from rsc_common.contracts.proposal import OrganisationProfile, ProposalContent, ProposalDetails
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory
from rsc_common.events.types import ProposalSnapshot

TODAY = date(2026, 9, 1)
IMPORTED_AT = datetime(2026, 3, 1, tzinfo=UTC)
RETRIEVED = date(2026, 2, 1)

# Values that trigger no rule of the default policy (the example file's placeholders).
NEUTRAL: dict[str, bool | float] = {
    "eu_member_state": True,
    "eu_sanctions_regime": False,
    "un_sanctions_regime": False,
    "arms_embargo": False,
    "rule_of_law_index": 0.75,
    "academic_freedom_index": 0.75,
    "human_rights_protection_index": 0.75,
    "civil_military_fusion_strategy": False,
    "state_compulsion_law": False,
    "eu_adequacy_decision": True,
    "named_in_state_threat_assessment": False,
}


def profile_set(
    values: Mapping[str, Mapping[str, bool | float | None]], *, example: bool = False, label: str = "test-1"
) -> CountryProfileSet:
    return CountryProfileSet(
        version_label=label,
        source="unit tests",
        example_data=example,
        imported_at=IMPORTED_AT,
        indicator_names=default_indicator_set().names,
        profiles={
            country: CountryProfile(
                country=country,
                indicators={
                    name: IndicatorValue(value=value, source=f"test source for {name}", retrieved=RETRIEVED)
                    for name, value in indicators.items()
                },
            )
            for country, indicators in sorted(values.items())
        },
    )


def neutral(*countries: str, **overrides: bool | float | None) -> dict[str, dict[str, bool | float | None]]:
    return {c: {**NEUTRAL, **overrides} for c in countries}


# ------------------------------------------------------------------------------------ proposals


def organisation(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "legal_name": "Example University",
        "country": "FR",
        "organisation_type": "higher_education",
        "identifiers": {"pic": "999999901"},
        "security_contact": {"name": "Alex Example", "email": "security@example.org"},
        "security_policy_in_place": True,
        "security_governance": "Board member for research security, advisory team and coordinator.",
        "dual_use_compliance_programme": True,
        "non_eu_funding_share_percent": "5.00",
        "largest_non_eu_funders": [],
        "foreign_ownership": {"owned_or_controlled_from_abroad": False},
    }
    return {**base, **overrides}


def partner(name: str = "Partner Institute", country: str = "DE", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "partner_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"partner/{name}")),
        "name": name,
        "identifiers": {"pic": "999999902"},
        "country": country,
        "partner_type": "university",
        "role": "beneficiary",
        "budget_share_percent": "20.00",
        "declared_end_use": "Open publication of results.",
    }
    return {**base, **overrides}


def researcher(name: str = "Dana Researcher", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "researcher_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"researcher/{name}")),
        "full_name": name,
        "orcid": "0000-0002-1825-0097",
        "role_in_project": "principal investigator",
        "current_appointments": [],
        "talent_programmes": [],
        "outside_support": [],
    }
    return {**base, **overrides}


DETAILS: dict[str, Any] = {
    "acronym": "EXAMPLE",
    "title": "Soil microbiome field study",
    "abstract": "We study soil microbes in agricultural fields.",
    "keywords": ["soil"],
    "critical_technology_areas": [],
    "requested_budget_eur": "500000.00",
    "duration_months": 36,
    "open_science_statement": "All results are published openly.",
    "data_management": {"sensitive_personal_data": False, "large_or_aggregated_datasets": False},
    "sensitive_infrastructure": {"uses_sensitive_infrastructure": False},
}

ANSWERS: dict[str, Any] = {
    "dual_use_items": False,
    "export_licence_needed": "no",
    "military_end_use": False,
    "critical_technology": False,
    "classified_information": False,
    "misuse_potential": False,
    "sensitive_infrastructure": False,
    "human_rights_misuse": False,
}


def snapshot(
    *,
    partners: Sequence[dict[str, Any]] = (),
    researchers: Sequence[dict[str, Any]] | None = None,
    answers: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    org: Mapping[str, Any] | None = None,
) -> ProposalSnapshot:
    content = ProposalContent.model_validate(
        {
            "details": {**DETAILS, **(details or {})},
            "partners": list(partners),
            "researchers": list(researchers if researchers is not None else [researcher()]),
            "self_assessment": {"questionnaire_version": 1, "answers": {**ANSWERS, **(answers or {})}},
        }
    )
    return ProposalSnapshot(
        proposal_id=uuid.UUID("6f1f9e1c-0000-4000-8000-000000000001"),
        version=1,
        organisation_id=uuid.UUID("6f1f9e1c-0000-4000-8000-000000000002"),
        call_id=uuid.UUID("6f1f9e1c-0000-4000-8000-000000000003"),
        call_identifier="DEMO-2027-RIA-01",
        submitted_at=datetime(2026, 8, 1, 12, 0, tzinfo=UTC),
        submitted_by="applicant-subject",
        organisation=OrganisationProfile.model_validate(organisation(**(org or {}))),
        content=content,
        questionnaire_version=1,
        attachments=[],
        content_sha256="0" * 64,
    )


# ----------------------------------------------------------------------------------------- fakes


@dataclass
class FakeClassifier:
    """Returns a fixed classification, whatever the text."""

    areas: Sequence[tuple[CriticalTechnologyArea, float]] = ()
    dual_use: Sequence[tuple[DualUseCategory, float]] = ()
    undeclared: Sequence[CriticalTechnologyArea] = ()
    implausible: Sequence[CriticalTechnologyArea] = ()
    version: str = "fake-classifier-1"

    def classify(self, details: ProposalDetails) -> ClassificationResult:
        return ClassificationResult(
            classifier_version=self.version,
            areas=tuple(AreaSignal(area=a, confidence=c, phrases=(a.value,)) for a, c in self.areas),
            dual_use=tuple(DualUseSignal(category=d, confidence=c, phrases=("dual",)) for d, c in self.dual_use),
            undeclared_areas=tuple(self.undeclared),
            implausible_declared_areas=tuple(self.implausible),
        )

    __call__ = classify


@dataclass(frozen=True)
class Hit:
    """A candidate the fake matcher returns for a query name."""

    list_key: str = "eu-sanctions"
    kind: ListKind = ListKind.sanctions
    score: float = 0.95
    identifier_match: bool = False
    topics: tuple[str, ...] = ("sanction",)
    controlled_by: str | None = None  # a listed controller's name: the hit comes through a control chain
    entry_id: str = "entry-1"


@dataclass
class FakeMatcher:
    """Dict-based: query name -> hits. Unknown names match nothing."""

    hits: Mapping[str, Sequence[Hit]] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=lambda: {"eu-sanctions": "2026-08-30", "watch": "7"})
    queries: list[OrganisationQuery] = field(default_factory=list)

    @property
    def list_versions(self) -> Mapping[str, str]:
        return self.versions

    def match(self, query: OrganisationQuery) -> MatchResult:
        self.queries.append(query)
        candidates = []
        for hit in self.hits.get(query.name, ()):
            chain = ()
            if hit.controlled_by:
                chain = (
                    OwnershipLink(
                        controller_id="listed-1",
                        controller_name=hit.controlled_by,
                        controlled_id=hit.entry_id,
                        controlled_name=query.name,
                        kind=RelationKind.ownership,
                        share_percent=60.0,
                    ),
                )
            candidates.append(
                MatchCandidate(
                    query_ref=query.ref,
                    list_key=hit.list_key,
                    list_version=self.versions.get(hit.list_key, "?"),
                    list_kind=hit.kind,
                    entry_id=hit.entry_id,
                    entry_caption=query.name.upper(),
                    matched_name=query.name,
                    query_name=query.name,
                    score=hit.score,
                    features=(),
                    identifier_match=hit.identifier_match,
                    topics=hit.topics,
                    control_chain=chain,
                    listed_controller_id="listed-1" if hit.controlled_by else None,
                )
            )
        return MatchResult(query=query, candidates=tuple(candidates))

    __call__ = match


def references(
    countries: CountryProfileSet,
    *,
    classifier: FakeClassifier | None = None,
    matcher: FakeMatcher | None = None,
) -> References:
    return References.of(
        classifier=classifier or FakeClassifier(), matcher=matcher or FakeMatcher(), countries=countries
    )


# --------------------------------------------------------------------------------- small policies

CATEGORIES = ("applicant_organisation", "research_domain", "third_country", "partner_organisation")


def rule(rule_id: str, rule_type: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rule_id,
        "type": rule_type,
        "category": "partner_organisation",
        "title": f"test rule {rule_id}",
        "level": "medium",
        "rationale": "for the tests",
        "sources": ["src"],
    }
    return {**base, **fields}


def policy_document(*rules: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": "t.1",
        "title": "Test policy",
        "owner": "unit tests",
        "effective_from": "2026-01-01",
        "review_by": "2026-12-31",
        "sources": [{"id": "src", "title": "Test source", "url": "https://example.org/source"}],
        "safeguard_catalogue": "2026.1",
        "indicator_set": "2026.1",
        "matching": {"match_threshold": 0.75, "confirmed_threshold": 0.92},
        "auto_clear": {"enabled": True, "max_level": "low"},
        "levels": {
            "meanings": {level: f"{level} meaning" for level in ("low", "medium", "high", "very_high")},
            "category_thresholds": [{"min_score": 2, "level": "medium"}, {"min_score": 4, "level": "high"}],
            "overall_thresholds": [{"min_score": 6, "level": "high"}],
            "escalations": [],
        },
        "factors": {c: {"title": c, "description": c, "sources": ["src"]} for c in CATEGORIES},
        "rules": list(rules),
    }
    document.update(overrides)
    return document


def make_policy(*rules: dict[str, Any], **overrides: Any) -> Any:
    from rsc_appraisal.policy import Policy

    return Policy.model_validate(policy_document(*rules, **overrides))
