"""The R&I-domain classifier: which critical technology areas and dual-use Annex I categories a
proposal's title, keywords and abstract point to, and how that compares with what the applicant
declared. Deterministic: the same text, rules, taxonomy and settings always give the same result.

Scoring (all weights and thresholds are data or settings, see `ClassifierSettings`):

1. Every phrase rule that matches (after negatives and context rules, longest match first) is
   evidence for its area and for the dual-use categories its group lists.
2. A phrase's score is its weight x the weight of the best field it occurs in (title 1.0,
   keywords 0.9, abstract 0.6), raised a little for each further occurrence (+10 % each, up to 3).
3. The phrases of one rule group are combined with diminishing returns (the 2nd counts half, the
   3rd a quarter, ...: "quantum key distribution (QKD)" is one idea, not two); the groups of an
   area are combined as independent evidence (noisy-OR: 1 - prod(1 - s)). So confidence rises
   with stronger phrases, with more distinct phrases and with the title and keywords.
4. Dampers (rules.yaml) scale every confidence down when the proposal studies technology as a
   social, legal or historical phenomenon ("public attitudes", "oral history", "case law").
5. Areas at or above `report_threshold` (0.25) are returned; `detection_threshold` (0.5) is where
   the text is taken to support an area (quality figures); an undeclared area needs
   `undeclared_threshold` (0.5); a declared area below `implausible_threshold` (0.4) is implausible.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rsc_appraisal.classification.normalize import Segment, segments
from rsc_appraisal.classification.rules import RULES_FILE, CompiledRules, Hit, compile_rules, load_rules
from rsc_appraisal.classification.taxonomy import Taxonomy, load_taxonomy
from rsc_appraisal.engine.contracts import AreaSignal, ClassificationResult, DualUseSignal
from rsc_common.contracts.proposal import ProposalDetails
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory

CODE_VERSION = "1"  # bump when a code change alters results for the same data files

Unit = Annotated[float, Field(ge=0, le=1)]


class ClassifierSettings(BaseModel):
    """Thresholds and scoring weights. The defaults are the documented, benchmarked values
    (docs/benchmarks.md, classifier section); any other value changes the classifier version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field_weights: dict[str, Unit] = Field(
        default={"title": 1.0, "keywords": 0.9, "abstract": 0.6},
        description="How much a phrase counts in each field (title, keywords, abstract).",
    )
    repeat_bonus: Annotated[float, Field(ge=0, le=1)] = Field(0.1, description="Per further occurrence of a phrase.")
    repeat_cap: Annotated[int, Field(ge=0, le=20)] = Field(3, description="Further occurrences that add a bonus.")
    same_group_discount: Unit = Field(0.5, description="Factor for each further phrase of the same rule group.")
    report_threshold: Unit = Field(0.25, description="Areas with at least this confidence are returned.")
    detection_threshold: Unit = Field(0.5, description="Confidence from which the text supports an area.")
    undeclared_threshold: Unit = Field(
        0.5, description="An area with at least this confidence that the applicant did not declare is undeclared."
    )
    implausible_threshold: Unit = Field(
        0.4, description="A declared area with less confidence than this is implausible (no or low support)."
    )
    dual_use_report_threshold: Unit = Field(0.25, description="Dual-use categories with at least this are returned.")
    dual_use_detection_threshold: Unit = Field(
        0.5, description="Confidence from which a dual-use category is supported."
    )
    max_phrases: Annotated[int, Field(ge=1, le=100)] = Field(10, description="Phrases returned per signal.")

    @model_validator(mode="after")
    def _consistent(self) -> ClassifierSettings:
        missing = {"title", "keywords", "abstract"} - set(self.field_weights)
        if missing:
            raise ValueError(f"field_weights needs a weight for {', '.join(sorted(missing))}")
        if self.implausible_threshold > self.undeclared_threshold:
            raise ValueError("implausible_threshold must not exceed undeclared_threshold")
        if self.report_threshold > self.detection_threshold:
            raise ValueError("report_threshold must not exceed detection_threshold")
        return self


@dataclass(frozen=True, slots=True)
class Match:
    """One phrase occurrence that counted (for explanations and error analysis)."""

    group_id: str
    rule_phrase: str
    found: str  # as written in the proposal
    field: str
    area: CriticalTechnologyArea | None
    technology: str | None
    dual_use: tuple[DualUseCategory, ...]
    weight: float


@dataclass
class _Evidence:
    weight: float
    best_field: float
    count: int
    group: int
    technology: str | None
    found: list[tuple[tuple[int, int], str]]


class Classifier:
    """`Classifier()` uses the shipped taxonomy and rules with the default settings."""

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        rules_path: Path | str | None = None,
        settings: ClassifierSettings | None = None,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        rules = load_rules(rules_path)
        self._compiled: CompiledRules = compile_rules(rules, self.taxonomy, path=rules_path or RULES_FILE)
        self.rules = rules
        self.settings = settings if settings is not None else ClassifierSettings()
        self.version = self._version()

    def _version(self) -> str:
        settings = json.dumps(self.settings.model_dump(mode="json"), sort_keys=True)
        digest = hashlib.sha256(
            "\n".join([CODE_VERSION, self.taxonomy.digest, self.rules.digest, settings]).encode()
        ).hexdigest()
        return f"rules{CODE_VERSION}-{self.taxonomy.version}-r{self.rules.version}-{digest[:8]}"

    # ---------------------------------------------------------------------------- public API

    def classify(self, details: ProposalDetails) -> ClassificationResult:
        return self.classify_text(
            title=details.title,
            abstract=details.abstract,
            keywords=details.keywords,
            declared_areas=details.critical_technology_areas,
        )

    def classify_text(
        self,
        title: str | None,
        abstract: str | None,
        keywords: Sequence[str] = (),
        declared_areas: Iterable[CriticalTechnologyArea | str] | None = None,
    ) -> ClassificationResult:
        """`declared_areas`: None = not answered (no undeclared/implausible flags); [] = "none of
        the areas" declared explicitly. Areas may be given by id or taxonomy short name ("quantum", "ai")."""
        segs = segments(title, abstract, list(keywords))
        hits, factor = self._hits(segs)
        area_scores, area_signals = self._area_signals(segs, hits, factor)
        dual_use = self._dual_use_signals(segs, hits, factor)
        undeclared: tuple[CriticalTechnologyArea, ...] = ()
        implausible: tuple[CriticalTechnologyArea, ...] = ()
        if declared_areas is not None:
            declared = {self._area(a) for a in declared_areas}
            undeclared = tuple(
                a
                for a in CriticalTechnologyArea
                if a not in declared and area_scores.get(a, 0.0) >= self.settings.undeclared_threshold
            )
            implausible = tuple(
                a
                for a in CriticalTechnologyArea
                if a in declared and area_scores.get(a, 0.0) < self.settings.implausible_threshold
            )
        return ClassificationResult(
            classifier_version=self.version,
            areas=area_signals,
            dual_use=dual_use,
            undeclared_areas=undeclared,
            implausible_declared_areas=implausible,
        )

    def _area(self, area: CriticalTechnologyArea | str) -> CriticalTechnologyArea:
        try:
            return self.taxonomy.area_id(area)
        except KeyError:
            raise ValueError(f"{area!r} is not a critical technology area (id or short name)") from None

    def is_detected(self, signal: AreaSignal | DualUseSignal) -> bool:
        """Whether a returned signal is strong enough to say the text supports it."""
        if isinstance(signal, AreaSignal):
            return signal.confidence >= self.settings.detection_threshold
        return signal.confidence >= self.settings.dual_use_detection_threshold

    def detected_areas(self, result: ClassificationResult) -> frozenset[CriticalTechnologyArea]:
        return frozenset(s.area for s in result.areas if self.is_detected(s))

    def detected_dual_use(self, result: ClassificationResult) -> frozenset[DualUseCategory]:
        return frozenset(s.category for s in result.dual_use if self.is_detected(s))

    def matches(self, title: str | None, abstract: str | None, keywords: Sequence[str] = ()) -> list[Match]:
        """Every phrase occurrence that counted, in text order (for explanations and debugging)."""
        segs = segments(title, abstract, list(keywords))
        out = []
        for hit in self._hits(segs)[0]:
            phrase = self._compiled.phrases[hit.payload]
            group = self._compiled.groups[phrase.group]
            seg = segs[hit.segment]
            out.append(
                Match(
                    group_id=group.id,
                    rule_phrase=phrase.text,
                    found=_found(seg, hit),
                    field=seg.field,
                    area=group.area,
                    technology=group.technology,
                    dual_use=tuple(group.dual_use),
                    weight=phrase.weight,
                )
            )
        return out

    # ---------------------------------------------------------------------------- matching

    def _hits(self, segs: list[Segment]) -> tuple[list[Hit], float]:
        """The phrase occurrences that count, and the product of the dampers that apply."""
        compiled = self._compiled
        context: dict[int, list[Hit]] = defaultdict(list)
        for seg in segs:
            for hit in compiled.context.find(seg):
                context[hit.payload].append(hit)
        kept: list[Hit] = []
        for seg in segs:
            negatives = compiled.negatives.find(seg)
            candidates = []
            for hit in compiled.positives.find(seg):
                if any(n.start < hit.end and hit.start < n.end for n in negatives):
                    continue
                group = compiled.groups[compiled.phrases[hit.payload].group]
                if any(_near(hit, spec, context) for spec in group.unless):
                    continue
                if group.only_with and not _near(hit, group.only_with, context):
                    continue
                candidates.append(hit)
            # longest match wins: drop a hit lying strictly inside a longer one; of two phrases of one
            # group on the same words ("lidar" and "LiDAR"), keep the heavier
            best: dict[tuple[int, int, int], Hit] = {}
            for hit in candidates:
                if any(
                    o.start <= hit.start and hit.end <= o.end and (o.end - o.start) > (hit.end - hit.start)
                    for o in candidates
                ):
                    continue
                phrase = compiled.phrases[hit.payload]
                slot = (phrase.group, hit.start, hit.end)
                other = best.get(slot)
                if other is None or (phrase.weight, -hit.payload) > (
                    compiled.phrases[other.payload].weight,
                    -other.payload,
                ):
                    best[slot] = hit
            kept.extend(best.values())
        kept.sort(key=lambda h: (h.segment, h.start, h.end, h.payload))
        factor = 1.0
        for _, term_ids, damper_factor in compiled.dampers:
            if any(context.get(t) for t in term_ids):
                factor *= damper_factor
        return kept, factor

    # ---------------------------------------------------------------------------- scoring

    def _collect(
        self, segs: list[Segment], hits: list[Hit], target_of
    ) -> dict[object, dict[tuple[int, str], _Evidence]]:
        """target -> phrase -> evidence; `target_of(group)` yields (target, weight factor)."""
        compiled = self._compiled
        weights = self.settings.field_weights
        evidence: dict[object, dict[tuple[int, str], _Evidence]] = defaultdict(dict)
        for hit in hits:
            phrase = compiled.phrases[hit.payload]
            group = compiled.groups[phrase.group]
            seg = segs[hit.segment]
            position = (hit.segment, hit.start)
            for target, factor in target_of(group):
                key = (phrase.group, phrase.text)
                ev = evidence[target].get(key)
                if ev is None:
                    ev = evidence[target][key] = _Evidence(
                        phrase.weight * factor, 0.0, 0, phrase.group, group.technology, []
                    )
                ev.best_field = max(ev.best_field, weights[seg.field])
                ev.count += 1
                ev.found.append((position, _found(seg, hit)))
        return evidence

    def _score(self, phrases: dict[tuple[int, str], _Evidence], factor: float) -> tuple[float, dict[str, float]]:
        s = self.settings
        by_group: dict[int, list[float]] = defaultdict(list)
        by_technology: dict[str, float] = defaultdict(float)
        for ev in phrases.values():
            score = ev.weight * ev.best_field * (1 + s.repeat_bonus * min(ev.count - 1, s.repeat_cap))
            score = min(score, 0.99)
            by_group[ev.group].append(score)
            if ev.technology:
                by_technology[ev.technology] += score
        remaining = 1.0
        for scores in by_group.values():
            group_remaining = 1.0
            for k, score in enumerate(sorted(scores, reverse=True)):
                group_remaining *= 1 - score * s.same_group_discount**k
            remaining *= group_remaining
        return round((1 - remaining) * factor, 3), by_technology

    def _phrases(self, phrases: dict[tuple[int, str], _Evidence]) -> tuple[str, ...]:
        found = sorted((pos, text) for ev in phrases.values() for pos, text in ev.found)
        out: list[str] = []
        seen: set[str] = set()
        for _, text in found:
            if text.casefold() not in seen:
                seen.add(text.casefold())
                out.append(text)
        return tuple(out[: self.settings.max_phrases])

    def _area_signals(
        self, segs: list[Segment], hits: list[Hit], factor: float
    ) -> tuple[dict[CriticalTechnologyArea, float], tuple[AreaSignal, ...]]:
        evidence = self._collect(segs, hits, lambda g: [(g.area, 1.0)] if g.area is not None else [])
        scores: dict[CriticalTechnologyArea, float] = {}
        signals = []
        order = list(CriticalTechnologyArea)
        for area, phrases in evidence.items():
            confidence, by_technology = self._score(phrases, factor)
            scores[area] = confidence
            if confidence >= self.settings.report_threshold:
                technologies = tuple(t for t, _ in sorted(by_technology.items(), key=lambda kv: (-kv[1], kv[0])))
                signals.append(
                    AreaSignal(
                        area=area, confidence=confidence, phrases=self._phrases(phrases), technologies=technologies
                    )
                )
        signals.sort(key=lambda sig: (-sig.confidence, order.index(sig.area)))
        return scores, tuple(signals)

    def _dual_use_signals(self, segs: list[Segment], hits: list[Hit], factor: float) -> tuple[DualUseSignal, ...]:
        evidence = self._collect(segs, hits, lambda g: list(g.dual_use.items()))
        signals = []
        for category, phrases in evidence.items():
            confidence, _ = self._score(phrases, factor)
            if confidence >= self.settings.dual_use_report_threshold:
                signals.append(DualUseSignal(category=category, confidence=confidence, phrases=self._phrases(phrases)))
        signals.sort(key=lambda sig: (-sig.confidence, sig.category.value))
        return tuple(signals)


def _found(seg: Segment, hit: Hit) -> str:
    return seg.text[seg.tokens[hit.start].start : seg.tokens[hit.end - 1].end]


def _near(hit: Hit, spec: tuple[tuple[int, ...], int | None], context: dict[int, list[Hit]]) -> bool:
    term_ids, window = spec
    for term in term_ids:
        for occ in context.get(term, ()):
            if window is None:
                return True
            if occ.segment == hit.segment and occ.end > hit.start - window and occ.start < hit.end + window:
                return True
    return False


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The shipped taxonomy and rules with default settings (loaded once per process)."""
    return Classifier()


def classify(
    title: str | None,
    abstract: str | None,
    keywords: Sequence[str] = (),
    declared_areas: Iterable[CriticalTechnologyArea | str] | None = None,
) -> ClassificationResult:
    """`default_classifier().classify_text(...)`."""
    return default_classifier().classify_text(title, abstract, keywords, declared_areas)
