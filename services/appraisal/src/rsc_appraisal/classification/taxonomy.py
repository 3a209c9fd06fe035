"""The reference taxonomy (critical technology areas with their technologies, dual-use Annex I
categories), loaded from versioned YAML and validated.

`load_taxonomy()` reads the shipped `data/taxonomy.yaml`; a path loads another file (e.g. a
corrected copy). Every problem is reported at once, with where it is in the file, as a
`TaxonomyError`.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from rsc_common.contracts.vocabulary import PRIORITY_CRITICAL_TECHNOLOGY_AREAS, CriticalTechnologyArea, DualUseCategory

DATA_DIR = Path(__file__).resolve().parent / "data"
TAXONOMY_FILE = DATA_DIR / "taxonomy.yaml"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", max_length=80)]


class TaxonomyError(ValueError):
    """A reference-data file (taxonomy, rules, labelled set) is missing, unreadable or invalid.
    `problems` lists each problem as "where: what"."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


def format_validation_error(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "(top level)"
        problems.append(f"{where}: {err['msg']}")
    return problems


def read_yaml(path: Path) -> tuple[bytes, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(path, [f"cannot read: {exc.strerror or exc}"]) from exc
    try:
        return raw, yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise TaxonomyError(path, [f"not valid YAML: {exc}"]) from exc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceDocument(_Model):
    document: Annotated[str, Field(min_length=10)]
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]


class SourceRef(_Model):
    ref: str = Field(description="Key in the taxonomy's `sources`.")
    retrieved: date
    via: str = Field(default="", description="The copy it was transcribed from, if not the source itself.")


class Technology(_Model):
    id: Identifier
    title: Annotated[str, Field(min_length=3)]


class Area(_Model):
    id: CriticalTechnologyArea
    number: Annotated[int, Field(ge=1, le=10)]
    short: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: Annotated[str, Field(min_length=3)]
    priority: bool
    provisional: bool = False
    note: str = ""
    source: SourceRef
    technologies: Annotated[tuple[Technology, ...], Field(min_length=1)]


class DualUseCategoryRecord(_Model):
    id: DualUseCategory
    title: Annotated[str, Field(min_length=3)]
    scope: Annotated[str, Field(min_length=10)]
    provisional: bool = False
    source: SourceRef


class Taxonomy(_Model):
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]
    review_by: date
    sources: dict[str, SourceDocument]
    areas: tuple[Area, ...]
    dual_use_categories: tuple[DualUseCategoryRecord, ...]

    _digest: str = PrivateAttr(default="")

    @field_validator("areas")
    @classmethod
    def _ten_areas(cls, areas: tuple[Area, ...]) -> tuple[Area, ...]:
        ids = [a.id for a in areas]
        missing = [a.value for a in CriticalTechnologyArea if a not in ids]
        duplicated = sorted({a.value for a in ids if ids.count(a) > 1})
        problems = []
        if missing:
            problems.append(f"missing areas: {', '.join(missing)}")
        if duplicated:
            problems.append(f"areas listed twice: {', '.join(duplicated)}")
        for position, area in enumerate(areas):
            expected_number = list(CriticalTechnologyArea).index(area.id) + 1
            if area.number != expected_number:
                problems.append(f"{area.id.value} has number {area.number}, expected {expected_number}")
            if area.priority != (area.id in PRIORITY_CRITICAL_TECHNOLOGY_AREAS):
                problems.append(f"{area.id.value}: priority must be {area.id in PRIORITY_CRITICAL_TECHNOLOGY_AREAS}")
            if position + 1 != area.number:
                problems.append(f"{area.id.value} is listed at position {position + 1}: keep the areas in order")
        shorts = [a.short for a in areas]
        if len(set(shorts)) != len(shorts):
            problems.append("area `short` names must be unique")
        if problems:
            raise ValueError("; ".join(problems))
        return areas

    @field_validator("dual_use_categories")
    @classmethod
    def _ten_categories(cls, cats: tuple[DualUseCategoryRecord, ...]) -> tuple[DualUseCategoryRecord, ...]:
        ids = [c.id for c in cats]
        if sorted(ids) != sorted(DualUseCategory) or len(ids) != len(DualUseCategory):
            raise ValueError("must list each of the categories 0-9 exactly once")
        return cats

    @model_validator(mode="after")
    def _references(self) -> Taxonomy:
        problems = []
        seen: dict[str, str] = {}
        for area in self.areas:
            if area.source.ref not in self.sources:
                problems.append(f"{area.id.value}: unknown source {area.source.ref!r}")
            for tech in area.technologies:
                if tech.id in seen:
                    problems.append(f"technology id {tech.id!r} used in {seen[tech.id]} and {area.id.value}")
                seen[tech.id] = area.id.value
        problems += [
            f"dual-use category {c.id.value}: unknown source {c.source.ref!r}"
            for c in self.dual_use_categories
            if c.source.ref not in self.sources
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ------------------------------------------------------------------ look-ups

    @property
    def digest(self) -> str:
        """SHA-256 of the file it was loaded from ("" if built in code)."""
        return self._digest

    def area(self, area: CriticalTechnologyArea | str) -> Area:
        for a in self.areas:
            if a.id == area or a.short == area:
                return a
        raise KeyError(area)

    def area_id(self, name: str) -> CriticalTechnologyArea:
        """An area from its id ("quantum", "advanced_semiconductors") or short name ("semiconductors")."""
        return self.area(name).id

    def technology_area(self) -> dict[str, CriticalTechnologyArea]:
        return {t.id: a.id for a in self.areas for t in a.technologies}

    def is_past_review(self, today: date | None = None) -> bool:
        return (today or date.today()) > self.review_by


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    path = Path(path) if path is not None else TAXONOMY_FILE
    raw, data = read_yaml(path)
    if not isinstance(data, dict):
        raise TaxonomyError(path, ["(top level): expected a mapping with version, review_by, sources, areas, ..."])
    try:
        taxonomy = Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(path, format_validation_error(exc)) from None
    taxonomy._digest = hashlib.sha256(raw).hexdigest()
    return taxonomy
