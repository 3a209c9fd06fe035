"""The safeguard catalogue: measures a flag can call for, each with how it is tracked (domain.md §3).

Versioned data (`data/safeguard-catalogue.yaml`); a policy names the catalogue version its rules refer
to, and the engine turns the measures of fired flags into `SafeguardRecommendation`s in catalogue order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from rsc_appraisal.policy.schema import MeasureId, PolicyModel, Prose, Source, SourceId, Title, Version

DEFAULT_CATALOGUE_PATH = Path(__file__).parent / "data" / "safeguard-catalogue.yaml"


class Measure(PolicyModel):
    id: MeasureId
    title: Title
    description: Prose
    tracked_as: Title = Field(description="The record that shows the measure is in place.")
    sources: list[SourceId] = Field(min_length=1)


class SafeguardCatalogue(PolicyModel):
    version: Version
    title: Title
    owner: Title
    sources: list[Source] = Field(min_length=1)
    measures: list[Measure] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SafeguardCatalogue:
        problems = []
        ids = [m.id for m in self.measures]
        problems += [f"measure id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
        known = {s.id for s in self.sources}
        for measure in self.measures:
            problems += [f"measure {measure.id}: unknown source {s!r}" for s in measure.sources if s not in known]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def measure(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)


def load_safeguard_catalogue(path: Path) -> SafeguardCatalogue:
    from rsc_appraisal.policy.loader import load_document

    return load_document(path, SafeguardCatalogue)


@cache
def default_safeguard_catalogue() -> SafeguardCatalogue:
    return load_safeguard_catalogue(DEFAULT_CATALOGUE_PATH)
