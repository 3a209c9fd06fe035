"""From flags to levels: per category, overall, auto-clear. Every step is monotone (a flag more never
lowers a level and never turns auto-clear on):

- category score = sum of the weights of the distinct rules that fired in the category;
- category level = max(level of each flag, the category threshold reached by the score);
- overall score = sum of the category scores;
- overall level = max(every category level, the overall threshold reached by the score, every escalation
  whose condition holds (at least N categories at level L or above), the hard-gate level if any hard gate);
- auto-clear = enabled, overall level <= max_level, no flag that requires review, no hard gate, and real
  (not example) country data unless the policy allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rsc_appraisal.engine.contracts import (
    RISK_ORDER,
    CategoryResult,
    FactorCategory,
    Flag,
    RiskLevel,
    level_rank,
)
from rsc_appraisal.policy.schema import Policy, Threshold


def highest(levels: Iterable[RiskLevel]) -> RiskLevel:
    return max(levels, key=level_rank, default=RiskLevel.low)


def threshold_level(thresholds: Sequence[Threshold], score: float) -> RiskLevel:
    return highest(t.level for t in thresholds if score >= t.min_score)


def category_score(flags: Iterable[Flag]) -> float:
    weights: dict[str, float] = {}
    for flag in flags:
        weights[flag.rule_id] = max(weights.get(flag.rule_id, 0.0), flag.weight)
    return round(sum(weights[rule_id] for rule_id in sorted(weights)), 6)


def category_result(category: FactorCategory, flags: Sequence[Flag], policy: Policy) -> CategoryResult:
    own = tuple(f for f in flags if f.category == category)
    score = category_score(own)
    thresholds = policy.levels.category_overrides.get(category, policy.levels.category_thresholds)
    level = highest([*(f.level for f in own), threshold_level(thresholds, score)])
    if any(f.hard_gate for f in own):
        level = highest([level, policy.levels.hard_gate_level])
    return CategoryResult(category=category, level=level, score=score, flags=own)


def categories(flags: Sequence[Flag], policy: Policy) -> tuple[CategoryResult, ...]:
    return tuple(category_result(category, flags, policy) for category in FactorCategory)


def overall_level(results: Sequence[CategoryResult], flags: Sequence[Flag], policy: Policy) -> RiskLevel:
    levels = [r.level for r in results]
    score = round(sum(r.score for r in results), 6)
    candidates = [*levels, threshold_level(policy.levels.overall_thresholds, score)]
    for escalation in policy.levels.escalations:
        reached = sum(1 for level in levels if level_rank(level) >= level_rank(escalation.at_least))
        if reached >= escalation.min_categories:
            candidates.append(escalation.level)
    if any(f.hard_gate for f in flags):
        candidates.append(policy.levels.hard_gate_level)
    return highest(candidates)


def auto_clear(level: RiskLevel, flags: Sequence[Flag], policy: Policy, *, example_data: bool) -> bool:
    rule = policy.auto_clear
    if not rule.enabled or level_rank(level) > level_rank(rule.max_level):
        return False
    if example_data and not rule.allow_with_example_data:
        return False
    # A flag of a rule the policy does not know counts as requiring review (conservative).
    no_review = {r.id for r in policy.rules if not r.requires_review and not r.hard_gate}
    return not any(f.hard_gate or f.rule_id not in no_review for f in flags)


__all__ = [
    "RISK_ORDER",
    "auto_clear",
    "categories",
    "category_result",
    "category_score",
    "highest",
    "overall_level",
    "threshold_level",
]
