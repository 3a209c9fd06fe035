"""The screening engine: `screen(input, policy, references, today) -> ScreeningResult`.

A pure function of its arguments: the same input, policy, reference data and `today` give the same
result, flag order and hash. Steps:

1. classify the proposal details and match every screened organisation (`inputs.queries`);
2. evaluate the policy's rules in order (combination rules last, in their own order), one flag per
   (rule, subject) with all its evidence;
3. aggregate to category and overall levels (`aggregate`), recommend safeguards, decide auto-clear;
4. record the policy and reference-data versions, the input hash and warnings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rsc_appraisal.engine import aggregate
from rsc_appraisal.engine.contracts import (
    Evidence,
    FactorCategory,
    Flag,
    MatchResult,
    SafeguardRecommendation,
    ScreeningInput,
    ScreeningResult,
    level_rank,
)
from rsc_appraisal.engine.hashing import input_hash
from rsc_appraisal.engine.inputs import screened_organisations
from rsc_appraisal.engine.references import Classifier, Classify, Match, Matcher, References
from rsc_appraisal.engine.rules import EVALUATORS, Context, RuleHit, country_contexts
from rsc_appraisal.policy.checks import indicators_by_relation
from rsc_appraisal.policy.safeguards import SafeguardCatalogue, default_safeguard_catalogue
from rsc_appraisal.policy.schema import CombinationRule, Policy, RuleBase

CATEGORY_ORDER = {category: index for index, category in enumerate(FactorCategory)}


class ConfigurationError(ValueError):
    """The policy and the reference data do not fit together (e.g. a safeguard the catalogue lacks)."""


def _catalogue(policy: Policy, references: References, warnings: list[str]) -> SafeguardCatalogue:
    catalogue = references.safeguards
    if catalogue is None:
        catalogue = default_safeguard_catalogue()
        if catalogue.version != policy.safeguard_catalogue:
            raise ConfigurationError(
                f"policy {policy.version} refers to safeguard catalogue {policy.safeguard_catalogue}; the shipped "
                f"catalogue is {catalogue.version}: pass References.safeguards"
            )
    elif catalogue.version != policy.safeguard_catalogue:
        warnings.append(
            f"policy {policy.version} refers to safeguard catalogue {policy.safeguard_catalogue}, "
            f"catalogue {catalogue.version} is in use"
        )
    known = {m.id for m in catalogue.measures}
    unknown = [m for m in policy.measure_ids() if m not in known]
    if unknown:
        raise ConfigurationError(
            f"safeguard catalogue {catalogue.version} has no measure {', '.join(unknown)} "
            f"used by policy {policy.version}"
        )
    return catalogue


def _list_version_key(key: str) -> str:
    return key if key.startswith("list:") else f"list:{key}"


def _group(rule_hits: Iterable[tuple[RuleBase, RuleHit]]) -> list[tuple[RuleBase, str, list[Evidence]]]:
    """One entry per (rule, subject) in first-seen order, evidence deduplicated in order."""
    grouped: dict[tuple[str, str], tuple[RuleBase, str, list[Evidence]]] = {}
    for rule, (subject, evidence) in rule_hits:
        key = (rule.id, subject)
        if key not in grouped:
            grouped[key] = (rule, subject, [])
        if evidence not in grouped[key][2]:
            grouped[key][2].append(evidence)
    return list(grouped.values())


def _flag(rule: RuleBase, subject: str, evidence: list[Evidence], policy: Policy) -> Flag:
    level = rule.level
    if rule.hard_gate and level_rank(policy.levels.hard_gate_level) > level_rank(level):
        level = policy.levels.hard_gate_level
    return Flag(
        rule_id=rule.id,
        category=rule.category,
        title=rule.title,
        level=level,
        weight=rule.weight,
        hard_gate=rule.hard_gate,
        requires_review=rule.requires_review or rule.hard_gate,
        subject=subject,
        evidence=tuple(evidence),
    )


def _combination(rule: CombinationRule, flags: list[Flag], order: dict[str, int]) -> Flag | None:
    fired = {f.rule_id for f in flags}
    if any(r not in fired for r in rule.all_rules):
        return None
    if rule.any_rules and not any(r in fired for r in rule.any_rules):
        return None
    contributing = set(rule.all_rules) | {r for r in rule.any_rules if r in fired}
    for category in rule.all_categories:
        qualifying = [f for f in flags if f.category == category and level_rank(f.level) >= level_rank(rule.min_level)]
        if not qualifying:
            return None
        contributing |= {f.rule_id for f in qualifying}
    rule_ids = sorted(contributing, key=lambda r: (order.get(r, len(order)), r))
    evidence = Evidence(
        kind="combination",
        detail="combination of: " + ", ".join(rule_ids),
        data={
            "rules": rule_ids,
            "categories": [c.value for c in rule.all_categories],
            "min_level": rule.min_level.value,
        },
    )
    return Flag(
        rule_id=rule.id,
        category=rule.category,
        title=rule.title,
        level=rule.level,
        weight=rule.weight,
        hard_gate=rule.hard_gate,
        requires_review=rule.requires_review or rule.hard_gate,
        subject="proposal",
        evidence=(evidence,),
    )


def _warnings(
    policy: Policy,
    references: References,
    today: date,
    matches: dict[str, MatchResult],
    classifier_version: str,
    needed: dict[str, list[str]],
) -> list[str]:
    out: list[str] = []
    if today < policy.effective_from:
        out.append(f"policy {policy.version} is not yet in effect (effective from {policy.effective_from})")
    if today > policy.review_by:
        out.append(f"policy {policy.version} is past its review date {policy.review_by}")
    countries = references.countries
    if countries.example_data:
        out.append(
            f"country profiles {countries.version_label} are example data (illustrative placeholders, not an "
            "assessment of any country): not for real decisions"
        )
    used = list(dict.fromkeys(n for names in needed.values() for n in names))
    absent = [n for n in used if n not in countries.indicator_names]
    if absent:
        out.append(
            f"country profiles {countries.version_label} do not cover indicator(s) {', '.join(absent)} used by policy "
            f"{policy.version}: treated as unknown"
        )
    if classifier_version != references.classifier_version:
        out.append(f"classifier reported version {classifier_version}, expected {references.classifier_version}")
    known = {_list_version_key(k): v for k, v in references.list_versions.items()}
    reported: dict[str, None] = {}
    for result in matches.values():
        for candidate in result.candidates:
            key = _list_version_key(candidate.list_key)
            if known.get(key) != candidate.list_version:
                reported.setdefault(
                    f"match candidate from {key} version {candidate.list_version}, "
                    f"but the recorded version is {known.get(key, 'none')}",
                    None,
                )
    out.extend(reported)
    return out


def screen(screening_input: ScreeningInput, policy: Policy, references: References, today: date) -> ScreeningResult:
    """Screen one proposal version under `policy` with `references`, as of `today` (explicit, for determinism)."""
    catalogue_warnings: list[str] = []
    catalogue = _catalogue(policy, references, catalogue_warnings)

    classification = references.classify(screening_input.details)
    organisations = screened_organisations(screening_input)
    matches = {o.query.ref: references.match(o.query) for o in organisations}
    context = Context(
        screening_input=screening_input,
        policy=policy,
        classification=classification,
        classifier_version=references.classifier_version,
        organisations=organisations,
        matches=matches,
        countries=references.countries,
        contexts=country_contexts(screening_input),
        indicators_needed=indicators_by_relation(policy),
    )

    order = {rule.id: index for index, rule in enumerate(policy.rules)}
    base_rules = [rule for rule in policy.rules if not isinstance(rule, CombinationRule)]
    hits = ((rule, hit) for rule in base_rules for hit in EVALUATORS[rule.type](rule, context))
    flags = [_flag(rule, subject, evidence, policy) for rule, subject, evidence in _group(hits)]
    for rule in policy.rules:
        if isinstance(rule, CombinationRule):
            combined = _combination(rule, flags, order)
            if combined is not None:
                flags.append(combined)
    flags.sort(key=lambda f: (CATEGORY_ORDER[f.category], order[f.rule_id]))  # stable: subjects keep input order

    categories = aggregate.categories(flags, policy)
    level = aggregate.overall_level(categories, flags, policy)

    triggered: dict[str, list[str]] = {}
    for flag in flags:
        for measure in policy.rule(flag.rule_id).safeguards:
            ids = triggered.setdefault(measure, [])
            if flag.rule_id not in ids:
                ids.append(flag.rule_id)
    safeguards = tuple(
        SafeguardRecommendation(
            measure_id=measure.id,
            title=measure.title,
            triggered_by=tuple(sorted(triggered[measure.id], key=lambda r: order[r])),
        )
        for measure in catalogue.measures
        if measure.id in triggered
    )

    reference_versions = {
        "classifier": references.classifier_version,
        "countries": references.countries.version_label,
        "safeguards": catalogue.version,
        **{_list_version_key(k): v for k, v in references.list_versions.items()},
    }
    warnings = _warnings(
        policy, references, today, matches, classification.classifier_version, context.indicators_needed
    )
    warnings += catalogue_warnings
    return ScreeningResult(
        level=level,
        categories=categories,
        flags=tuple(flags),
        safeguards=safeguards,
        policy_version=policy.version,
        reference_versions=dict(sorted(reference_versions.items())),
        input_hash=input_hash(screening_input),
        warnings=tuple(warnings),
        auto_clear=aggregate.auto_clear(level, flags, policy, example_data=references.countries.example_data),
    )


__all__ = [
    "Classifier",
    "Classify",
    "ConfigurationError",
    "Match",
    "Matcher",
    "References",
    "screen",
]
