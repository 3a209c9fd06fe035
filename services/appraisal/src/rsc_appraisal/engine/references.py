"""How the classifier, the entity matcher and the country profiles plug into the engine.

The engine only needs two callables and their versions:

    classify(details: ProposalDetails) -> ClassificationResult      + classifier_version
    match(query: OrganisationQuery) -> MatchResult                  + list_versions {list_key: version}

so any object or function with those signatures works (`Classify` and `Match` are Protocols). Objects
that carry their version (`Classifier`, `Matcher`) can be bundled with `References.of(...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from rsc_appraisal.engine.contracts import ClassificationResult, CountryProfileSet, MatchResult, OrganisationQuery
from rsc_appraisal.policy.safeguards import SafeguardCatalogue
from rsc_common.contracts.proposal import ProposalDetails


class Classify(Protocol):
    def __call__(self, details: ProposalDetails, /) -> ClassificationResult: ...


class Match(Protocol):
    def __call__(self, query: OrganisationQuery, /) -> MatchResult: ...


@runtime_checkable
class Classifier(Protocol):
    """A classifier object: `version` and `classify`."""

    @property
    def version(self) -> str: ...

    def classify(self, details: ProposalDetails, /) -> ClassificationResult: ...


@runtime_checkable
class Matcher(Protocol):
    """A matcher object: the versions of the lists it searches, and `match`."""

    @property
    def list_versions(self) -> Mapping[str, str]: ...

    def match(self, query: OrganisationQuery, /) -> MatchResult: ...


@dataclass(frozen=True)
class References:
    """Reference data and services for one screening.

    `list_versions` maps list keys to version labels; keys may already carry the `list:` prefix used in
    `ScreeningResult.reference_versions`. `safeguards` defaults to the shipped catalogue of the version the
    policy names."""

    classify: Classify
    classifier_version: str
    match: Match
    list_versions: Mapping[str, str]
    countries: CountryProfileSet
    safeguards: SafeguardCatalogue | None = field(default=None)

    @classmethod
    def of(
        cls,
        *,
        classifier: Classifier,
        matcher: Matcher,
        countries: CountryProfileSet,
        safeguards: SafeguardCatalogue | None = None,
    ) -> References:
        return cls(
            classify=classifier.classify,
            classifier_version=classifier.version,
            match=matcher.match,
            list_versions=dict(matcher.list_versions),
            countries=countries,
            safeguards=safeguards,
        )
