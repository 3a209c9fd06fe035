"""Quality of the classifier on the labelled proposals (data/labelled_dev.yaml, data/labelled_heldout.yaml).

Per area and per dual-use category: precision, recall, F1 of the *detected* signals (confidence at
or above the detection threshold) against the labels; micro and macro averages. For the declared
areas: how well the undeclared and implausible flags match the labels (expected undeclared = labelled
areas the applicant did not declare; expected implausible = declared areas that are not labelled),
over the proposals whose declaration was answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rsc_appraisal.classification.classifier import Classifier
from rsc_appraisal.classification.taxonomy import (
    DATA_DIR,
    Taxonomy,
    TaxonomyError,
    format_validation_error,
    read_yaml,
)
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory

SPLITS: dict[str, Path] = {"dev": DATA_DIR / "labelled_dev.yaml", "heldout": DATA_DIR / "labelled_heldout.yaml"}

# Targets, checked on the held-out split by the benchmark and the unit tests.
TARGETS: dict[str, float] = {
    "area_micro_precision": 0.90,
    "area_micro_recall": 0.85,
    "area_macro_f1": 0.85,
    "undeclared_item_accuracy": 0.90,
    "dual_use_micro_precision": 0.80,
    "dual_use_micro_recall": 0.75,
}


class LabelledItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z][0-9]{3}$")]
    title: Annotated[str, Field(min_length=5)]
    keywords: tuple[str, ...] = ()
    abstract: Annotated[str, Field(min_length=20)]
    declared: tuple[str, ...] | None
    areas: tuple[str, ...]
    dual_use: tuple[DualUseCategory, ...] = ()
    note: str = ""

    @field_validator("dual_use", mode="before")
    @classmethod
    def _as_strings(cls, value: object) -> object:
        return [str(v) for v in value] if isinstance(value, list | tuple) else value


class LabelledSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    split: Literal["dev", "heldout"]
    written: date
    items: tuple[LabelledItem, ...]


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    keywords: tuple[str, ...]
    abstract: str
    declared: frozenset[CriticalTechnologyArea] | None
    areas: frozenset[CriticalTechnologyArea]
    dual_use: frozenset[DualUseCategory]


def load_labelled(split: str, taxonomy: Taxonomy, path: Path | None = None) -> list[Example]:
    path = path or SPLITS[split]
    _, data = read_yaml(path)
    try:
        labelled = LabelledSet.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(path, format_validation_error(exc)) from None
    problems: list[str] = []
    out: list[Example] = []
    seen: set[str] = set()

    def areas(item: LabelledItem, names: tuple[str, ...], what: str) -> frozenset[CriticalTechnologyArea]:
        result = set()
        for name in names:
            try:
                result.add(taxonomy.area_id(name))
            except KeyError:
                problems.append(f"{item.id}.{what}: unknown area {name!r}")
        return frozenset(result)

    for item in labelled.items:
        if item.id in seen:
            problems.append(f"{item.id}: duplicate id")
        seen.add(item.id)
        out.append(
            Example(
                id=item.id,
                title=item.title,
                keywords=item.keywords,
                abstract=item.abstract,
                declared=None if item.declared is None else areas(item, item.declared, "declared"),
                areas=areas(item, item.areas, "areas"),
                dual_use=frozenset(item.dual_use),
            )
        )
    if problems:
        raise TaxonomyError(path, problems)
    return out


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, expected: bool, predicted: bool) -> None:
        if expected and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif expected:
            self.fn += 1


@dataclass
class Error:
    id: str
    kind: str  # "area", "dual_use", "undeclared", "implausible"
    missed: tuple[str, ...]
    extra: tuple[str, ...]


@dataclass
class Report:
    split: str
    items: int
    negatives: int  # items labelled with no area
    per_area: dict[CriticalTechnologyArea, Counts] = field(default_factory=dict)
    per_category: dict[DualUseCategory, Counts] = field(default_factory=dict)
    undeclared: Counts = field(default_factory=Counts)
    implausible: Counts = field(default_factory=Counts)
    declared_items: int = 0
    undeclared_item_correct: int = 0
    implausible_item_correct: int = 0
    negatives_clean: int = 0  # negatives with no area detected
    errors: list[Error] = field(default_factory=list)

    @staticmethod
    def _micro(counts: dict) -> Counts:
        total = Counts()
        for c in counts.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total

    @staticmethod
    def _macro(counts: dict, metric: str) -> float | None:
        values = [getattr(c, metric) for c in counts.values() if c.support]
        values = [v if v is not None else 0.0 for v in values]
        return sum(values) / len(values) if values else None

    @property
    def area_micro(self) -> Counts:
        return self._micro(self.per_area)

    @property
    def dual_use_micro(self) -> Counts:
        return self._micro(self.per_category)

    def area_macro(self, metric: str) -> float | None:
        return self._macro(self.per_area, metric)

    def dual_use_macro(self, metric: str) -> float | None:
        return self._macro(self.per_category, metric)

    @property
    def undeclared_item_accuracy(self) -> float | None:
        return self.undeclared_item_correct / self.declared_items if self.declared_items else None

    @property
    def implausible_item_accuracy(self) -> float | None:
        return self.implausible_item_correct / self.declared_items if self.declared_items else None

    def metrics(self) -> dict[str, float | None]:
        area, du = self.area_micro, self.dual_use_micro
        return {
            "area_micro_precision": area.precision,
            "area_micro_recall": area.recall,
            "area_micro_f1": area.f1,
            "area_macro_precision": self.area_macro("precision"),
            "area_macro_recall": self.area_macro("recall"),
            "area_macro_f1": self.area_macro("f1"),
            "dual_use_micro_precision": du.precision,
            "dual_use_micro_recall": du.recall,
            "dual_use_macro_f1": self.dual_use_macro("f1"),
            "undeclared_item_accuracy": self.undeclared_item_accuracy,
            "undeclared_flag_precision": self.undeclared.precision,
            "undeclared_flag_recall": self.undeclared.recall,
            "implausible_item_accuracy": self.implausible_item_accuracy,
            "implausible_flag_precision": self.implausible.precision,
            "implausible_flag_recall": self.implausible.recall,
            "negatives_clean": self.negatives_clean / self.negatives if self.negatives else None,
        }

    def targets_met(self) -> dict[str, tuple[float, float | None, bool]]:
        metrics = self.metrics()
        return {
            name: (target, metrics[name], metrics[name] is not None and metrics[name] >= target)
            for name, target in TARGETS.items()
        }


def evaluate(classifier: Classifier, examples: list[Example], split: str = "") -> Report:
    report = Report(split=split, items=len(examples), negatives=sum(1 for e in examples if not e.areas))
    report.per_area = {a: Counts() for a in CriticalTechnologyArea}
    report.per_category = {c: Counts() for c in DualUseCategory}
    for ex in examples:
        result = classifier.classify_text(ex.title, ex.abstract, ex.keywords, ex.declared)
        areas = classifier.detected_areas(result)
        categories = classifier.detected_dual_use(result)
        for area in CriticalTechnologyArea:
            report.per_area[area].add(area in ex.areas, area in areas)
        for category in DualUseCategory:
            report.per_category[category].add(category in ex.dual_use, category in categories)
        if not ex.areas and not areas:
            report.negatives_clean += 1
        if areas != ex.areas:
            report.errors.append(Error(ex.id, "area", _names(ex.areas - areas), _names(areas - ex.areas)))
        if categories != ex.dual_use:
            report.errors.append(
                Error(ex.id, "dual_use", _cats(ex.dual_use - categories), _cats(categories - ex.dual_use))
            )
        if ex.declared is None:
            continue
        report.declared_items += 1
        expected_undeclared = ex.areas - ex.declared
        expected_implausible = ex.declared - ex.areas
        undeclared = frozenset(result.undeclared_areas)
        implausible = frozenset(result.implausible_declared_areas)
        for area in CriticalTechnologyArea:
            report.undeclared.add(area in expected_undeclared, area in undeclared)
            report.implausible.add(area in expected_implausible, area in implausible)
        if undeclared == expected_undeclared:
            report.undeclared_item_correct += 1
        else:
            report.errors.append(
                Error(
                    ex.id,
                    "undeclared",
                    _names(expected_undeclared - undeclared),
                    _names(undeclared - expected_undeclared),
                )
            )
        if implausible == expected_implausible:
            report.implausible_item_correct += 1
        else:
            report.errors.append(
                Error(
                    ex.id,
                    "implausible",
                    _names(expected_implausible - implausible),
                    _names(implausible - expected_implausible),
                )
            )
    return report


def _names(areas: frozenset[CriticalTechnologyArea]) -> tuple[str, ...]:
    order = list(CriticalTechnologyArea)
    return tuple(a.value for a in sorted(areas, key=order.index))


def _cats(categories: frozenset[DualUseCategory]) -> tuple[str, ...]:
    return tuple(sorted(c.value for c in categories))
