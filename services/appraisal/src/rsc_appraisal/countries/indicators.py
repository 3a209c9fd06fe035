"""The country indicator set: which country-level facts exist, their value types and meaning.

Defined as data (`data/indicators.yaml`, versioned) so that adding an indicator is a data change:
the CSV importer validates values against it and the policy loader checks that country rules only
name indicators that exist, with operators that fit their kind. No country appears here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_INDICATORS_PATH = DATA_DIR / "indicators.yaml"

IndicatorName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


class IndicatorKind(StrEnum):
    boolean = "boolean"  # true / false
    score = "score"  # a number from 0 to 1


class IndicatorDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: IndicatorName
    kind: IndicatorKind
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=2000)
    higher_is_better: bool | None = Field(
        default=None, description="Scores only: whether a higher value means a stronger protection."
    )
    suggested_sources: list[str] = Field(default=[], description="Where a funder may take values from.")

    @model_validator(mode="after")
    def _direction_only_for_scores(self) -> IndicatorDefinition:
        if self.kind == IndicatorKind.score and self.higher_is_better is None:
            raise ValueError("a score indicator must say whether higher_is_better")
        if self.kind == IndicatorKind.boolean and self.higher_is_better is not None:
            raise ValueError("higher_is_better applies to score indicators only")
        return self


class IndicatorSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[str, Field(min_length=1, max_length=40)]
    title: str = ""
    indicators: list[IndicatorDefinition] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> IndicatorSet:
        names = [i.name for i in self.indicators]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"indicator names must be unique: {', '.join(duplicates)}")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.indicators)

    def get(self, name: str) -> IndicatorDefinition | None:
        return next((i for i in self.indicators if i.name == name), None)


def load_indicator_set(path: Path) -> IndicatorSet:
    return IndicatorSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def default_indicator_set() -> IndicatorSet:
    """The shipped indicator set (`countries/data/indicators.yaml`)."""
    return load_indicator_set(DEFAULT_INDICATORS_PATH)
