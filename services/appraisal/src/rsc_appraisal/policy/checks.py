"""Whole-document checks of a policy: each problem with its location (a path into the document)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from rsc_appraisal.engine.contracts import (
    RISK_ORDER,
    FactorCategory,
    ScreeningInput,
    level_rank,
)
from rsc_appraisal.policy.agnostic import country_literal
from rsc_appraisal.policy.paths import LeafKind, describe_path, is_country_field
from rsc_appraisal.policy.schema import (
    NUMERIC_OPS,
    PRESENCE_OPS,
    RESEARCHER_FACT_RELATION,
    AllOf,
    AnyOf,
    ClassificationRule,
    CombinationRule,
    CountryIndicatorRule,
    DeclarationRule,
    FieldTest,
    NotOf,
    PartnerAttributeRule,
    ResearcherRule,
    ThresholdRule,
)
from rsc_common.contracts.proposal import Appointment, OutsideSupport, Partner, TalentProgramme

if TYPE_CHECKING:
    from rsc_appraisal.countries.indicators import IndicatorSet
    from rsc_appraisal.policy.safeguards import SafeguardCatalogue
    from rsc_appraisal.policy.schema import Policy, Threshold

Location = tuple[str | int, ...]

FACT_MODELS: dict[str, type[BaseModel]] = {
    "appointment": Appointment,
    "talent_programme": TalentProgramme,
    "outside_support": OutsideSupport,
}
INDICATOR_OPS = frozenset({"is_true", "is_false", "equals", "not_equals", "in", "not_in", "gt", "ge", "lt", "le"})


@dataclass(frozen=True)
class PolicyIssue:
    location: Location
    message: str
    line: int | None = None

    @property
    def where(self) -> str:
        out = ""
        for part in self.location:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out or "(document)"

    def __str__(self) -> str:
        line = f" (line {self.line})" if self.line else ""
        return f"{self.where}{line}: {self.message}"


def _leaves(condition: Any, location: Location) -> Iterator[tuple[str, FieldTest | None, Location]]:
    """(kind, leaf, location) for every node: kind is 'field' for leaves, else 'all'/'any'/'not'."""
    if isinstance(condition, FieldTest):
        yield "field", condition, location
    elif isinstance(condition, AllOf):
        yield "all", None, location
        for index, child in enumerate(condition.all):
            yield from _leaves(child, (*location, "all", index))
    elif isinstance(condition, AnyOf):
        yield "any", None, location
        for index, child in enumerate(condition.any):
            yield from _leaves(child, (*location, "any", index))
    elif isinstance(condition, NotOf):
        yield "not", None, location
        yield from _leaves(condition.not_, (*location, "not"))


def _check_field_condition(root: type[BaseModel], condition: Any, location: Location) -> Iterator[PolicyIssue]:
    for _kind, leaf, where in _leaves(condition, location):
        if leaf is None:
            continue
        try:
            info = describe_path(root, leaf.field)
        except ValueError as exc:
            yield PolicyIssue((*where, "field"), str(exc))
            continue
        op = leaf.op
        if info.country and op not in PRESENCE_OPS:
            yield PolicyIssue(
                (*where, "op"),
                f"{leaf.field} holds country codes: only missing/present/empty/not_empty are allowed (rules never "
                "name a country; use a country_indicator rule)",
            )
            continue
        target = info.element_kind if op in ("contains", "contains_any") else info.kind
        if op in ("contains", "contains_any") and info.kind != LeafKind.list and info.kind != LeafKind.any:
            yield PolicyIssue((*where, "op"), f"op {op!r} needs a list field, {leaf.field} is a {info.kind.value}")
        elif op in NUMERIC_OPS and info.kind not in (LeafKind.number, LeafKind.any):
            yield PolicyIssue((*where, "op"), f"op {op!r} needs a number field, {leaf.field} is a {info.kind.value}")
        elif op in ("is_true", "is_false") and info.kind not in (LeafKind.boolean, LeafKind.any):
            yield PolicyIssue(
                (*where, "op"), f"op {op!r} needs a true/false field, {leaf.field} is a {info.kind.value}"
            )
        elif op in ("empty", "not_empty") and info.kind not in (
            LeafKind.list,
            LeafKind.text,
            LeafKind.mapping,
            LeafKind.any,
        ):
            yield PolicyIssue((*where, "op"), f"op {op!r} needs a list, text or mapping, {leaf.field} is not")
        elif info.enum is not None and target == LeafKind.enum and leaf.value is not None:
            allowed = {member.value for member in info.enum}
            values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            wrong = [v for v in values if v not in allowed]
            if wrong:
                yield PolicyIssue(
                    (*where, "value"),
                    f"{wrong[0]!r} is not a value of {leaf.field} (one of: {', '.join(sorted(map(str, allowed)))})",
                )


def _check_indicator_condition(condition: Any, location: Location) -> Iterator[PolicyIssue]:
    for kind, leaf, where in _leaves(condition, location):
        if kind == "not":
            yield PolicyIssue(
                where, "'not' is not allowed on country indicators: unknown values would count as true; use is_false/ge"
            )
        if leaf is None:
            continue
        if "." in leaf.field or "[" in leaf.field:
            yield PolicyIssue(
                (*where, "field"), f"{leaf.field!r}: the field of a country condition is an indicator name"
            )
        if leaf.op not in INDICATOR_OPS:
            yield PolicyIssue(
                (*where, "op"),
                f"op {leaf.op!r} is not allowed on indicators (allowed: {', '.join(sorted(INDICATOR_OPS))}); "
                "missing values are handled by a country_data_gap rule",
            )


def _indicator_names(condition: Any) -> list[str]:
    return [leaf.field for kind, leaf, _ in _leaves(condition, ()) if leaf is not None]


def indicators_by_relation(policy: Policy) -> dict[str, list[str]]:
    """For each country relation, the indicators the policy's rules read (in first-use order)."""
    out: dict[str, dict[str, None]] = {}
    for rule in policy.rules:
        if isinstance(rule, CountryIndicatorRule):
            for relation in rule.relations:
                for name in _indicator_names(rule.when):
                    out.setdefault(relation, {})[name] = None
        elif isinstance(rule, ResearcherRule) and rule.country is not None:
            for fact in rule.facts:
                for name in _indicator_names(rule.country):
                    out.setdefault(RESEARCHER_FACT_RELATION[fact], {})[name] = None
    return {relation: list(names) for relation, names in out.items()}


def _strings(value: Any, location: Location) -> Iterator[tuple[str, Location]]:
    if isinstance(value, str):
        yield value, location
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            alias = type(value).model_fields[name].alias or name
            yield from _strings(getattr(value, name), (*location, alias))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*location, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*location, index))


def _check_thresholds(thresholds: list[Threshold], location: Location) -> Iterator[PolicyIssue]:
    for index in range(1, len(thresholds)):
        before, after = thresholds[index - 1], thresholds[index]
        if after.min_score <= before.min_score or level_rank(after.level) <= level_rank(before.level):
            yield PolicyIssue(
                (*location, index), "thresholds must rise: a higher min_score than the previous one, and a higher level"
            )


def consistency_issues(policy: Policy) -> list[PolicyIssue]:
    """Problems a policy document can have on its own (no reference data needed)."""
    issues: list[PolicyIssue] = []
    add = issues.append
    if policy.review_by <= policy.effective_from:
        add(PolicyIssue(("review_by",), f"review_by {policy.review_by} must be after effective_from"))
    source_ids = [s.id for s in policy.sources]
    for index, source_id in enumerate(source_ids):
        if source_ids.index(source_id) != index:
            add(PolicyIssue(("sources", index, "id"), f"source id {source_id!r} is used twice"))
    known_sources = set(source_ids)

    if policy.matching.confirmed_threshold < policy.matching.match_threshold:
        add(PolicyIssue(("matching", "confirmed_threshold"), "must not be below match_threshold"))
    missing_meanings = [level.value for level in RISK_ORDER if level not in policy.levels.meanings]
    if missing_meanings:
        add(PolicyIssue(("levels", "meanings"), f"describe every level: missing {', '.join(missing_meanings)}"))
    issues.extend(_check_thresholds(policy.levels.category_thresholds, ("levels", "category_thresholds")))
    issues.extend(_check_thresholds(policy.levels.overall_thresholds, ("levels", "overall_thresholds")))
    for category, thresholds in policy.levels.category_overrides.items():
        issues.extend(_check_thresholds(thresholds, ("levels", "category_overrides", category.value)))
    for index, escalation in enumerate(policy.levels.escalations):
        if level_rank(escalation.level) < level_rank(escalation.at_least):
            add(PolicyIssue(("levels", "escalations", index), "an escalation must not set a level below 'at_least'"))

    missing_factors = [c.value for c in FactorCategory if c not in policy.factors]
    if missing_factors:
        add(PolicyIssue(("factors",), f"define every factor category: missing {', '.join(missing_factors)}"))
    for category, factor in policy.factors.items():
        for index, source in enumerate(factor.sources):
            if source not in known_sources:
                add(PolicyIssue(("factors", category.value, "sources", index), f"unknown source {source!r}"))

    seen_rules: dict[str, int] = {}
    for index, rule in enumerate(policy.rules):
        where: Location = ("rules", index)
        if rule.id in seen_rules:
            add(PolicyIssue((*where, "id"), f"rule id {rule.id!r} is already used by rules[{seen_rules[rule.id]}]"))
        for s_index, source in enumerate(rule.sources):
            if source not in known_sources:
                add(PolicyIssue((*where, "sources", s_index), f"unknown source {source!r} (define it under sources)"))
        if rule.hard_gate and not rule.requires_review:
            add(PolicyIssue((*where, "requires_review"), "a hard gate always requires review"))
        if rule.level not in RISK_ORDER:  # pragma: no cover - enum-validated
            add(PolicyIssue((*where, "level"), "unknown level"))

        if isinstance(rule, DeclarationRule):
            issues.extend(_check_field_condition(ScreeningInput, rule.when, (*where, "when")))
        elif isinstance(rule, ThresholdRule):
            try:
                info = describe_path(ScreeningInput, rule.field)
            except ValueError as exc:
                add(PolicyIssue((*where, "field"), str(exc)))
            else:
                if info.fans_out and rule.aggregate is None:
                    add(PolicyIssue((*where, "aggregate"), "a path with [*] needs an aggregate (max, min, sum, count)"))
                elif rule.aggregate != "count" and info.kind not in (LeafKind.number, LeafKind.any):
                    add(PolicyIssue((*where, "field"), f"{rule.field} is a {info.kind.value}, not a number"))
                if is_country_field(rule.field.split(".")[-1]):
                    add(PolicyIssue((*where, "field"), "thresholds on country fields are not allowed"))
        elif isinstance(rule, PartnerAttributeRule):
            issues.extend(_check_field_condition(Partner, rule.when, (*where, "when")))
        elif isinstance(rule, CountryIndicatorRule):
            issues.extend(_check_indicator_condition(rule.when, (*where, "when")))
        elif isinstance(rule, ResearcherRule):
            if rule.country is not None:
                issues.extend(_check_indicator_condition(rule.country, (*where, "country")))
            if rule.when is not None:
                for fact in rule.facts:
                    issues.extend(_check_field_condition(FACT_MODELS[fact], rule.when, (*where, "when")))
        elif isinstance(rule, ClassificationRule):
            if rule.signal == "dual_use" and (rule.areas is not None or rule.priority_areas_only):
                add(PolicyIssue(where, "a dual_use signal takes dual_use_categories, not areas"))
            if rule.signal != "dual_use" and rule.dual_use_categories is not None:
                add(PolicyIssue((*where, "dual_use_categories"), "only for signal dual_use"))
            if rule.areas is not None and rule.priority_areas_only:
                add(PolicyIssue((*where, "areas"), "give either areas or priority_areas_only"))
        elif isinstance(rule, CombinationRule):
            if not (rule.all_categories or rule.all_rules or rule.any_rules):
                add(PolicyIssue(where, "a combination needs all_categories, all_rules or any_rules"))
            for key in ("all_rules", "any_rules"):
                for r_index, ref in enumerate(getattr(rule, key)):
                    if ref == rule.id:
                        add(PolicyIssue((*where, key, r_index), "a combination cannot refer to itself"))
                    elif ref not in seen_rules:
                        known = any(r.id == ref for r in policy.rules)
                        message = (
                            f"{ref!r} must come before this combination (it only sees earlier combinations)"
                            if known
                            else f"unknown rule {ref!r}"
                        )
                        add(PolicyIssue((*where, key, r_index), message))
        seen_rules.setdefault(rule.id, index)

        for text, location in _strings(rule, where):
            found = country_literal(text)
            if found:
                add(
                    PolicyIssue(
                        location,
                        f"names a country ({found!r}): rules are country-agnostic; put country facts in country "
                        "profiles and refer to indicators",
                    )
                )
    return issues


def reference_issues(
    policy: Policy, *, indicators: IndicatorSet | None = None, catalogue: SafeguardCatalogue | None = None
) -> list[PolicyIssue]:
    """Problems between a policy and the reference data it names (indicator set, safeguard catalogue)."""
    from rsc_appraisal.countries.indicators import IndicatorKind

    issues: list[PolicyIssue] = []
    if catalogue is not None:
        if catalogue.version != policy.safeguard_catalogue:
            issues.append(
                PolicyIssue(
                    ("safeguard_catalogue",),
                    f"the policy refers to safeguard catalogue {policy.safeguard_catalogue}, got {catalogue.version}",
                )
            )
        known = {m.id for m in catalogue.measures}
        for index, rule in enumerate(policy.rules):
            for m_index, measure in enumerate(rule.safeguards):
                if measure not in known:
                    issues.append(
                        PolicyIssue(
                            ("rules", index, "safeguards", m_index),
                            f"unknown safeguard {measure!r} (catalogue {catalogue.version})",
                        )
                    )
    if indicators is not None:
        if indicators.version != policy.indicator_set:
            issues.append(
                PolicyIssue(
                    ("indicator_set",),
                    f"the policy refers to indicator set {policy.indicator_set}, got {indicators.version}",
                )
            )
        for index, rule in enumerate(policy.rules):
            conditions = []
            if isinstance(rule, CountryIndicatorRule):
                conditions.append((rule.when, ("rules", index, "when")))
            elif isinstance(rule, ResearcherRule) and rule.country is not None:
                conditions.append((rule.country, ("rules", index, "country")))
            for condition, location in conditions:
                for _kind, leaf, where in _leaves(condition, location):
                    if leaf is None:
                        continue
                    definition = indicators.get(leaf.field)
                    if definition is None:
                        issues.append(
                            PolicyIssue(
                                (*where, "field"),
                                f"unknown indicator {leaf.field!r} (indicator set {indicators.version}: "
                                f"{', '.join(indicators.names)})",
                            )
                        )
                        continue
                    values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
                    if definition.kind == IndicatorKind.boolean:
                        if leaf.op in NUMERIC_OPS or any(v is not None and not isinstance(v, bool) for v in values):
                            issues.append(
                                PolicyIssue((*where, "op"), f"{leaf.field} is true/false: use is_true or is_false")
                            )
                    elif leaf.op in ("is_true", "is_false") or any(
                        v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1)
                        for v in values
                    ):
                        issues.append(
                            PolicyIssue((*where, "op"), f"{leaf.field} is a score from 0 to 1: compare with a number")
                        )
    return issues
