"""The screening policy as data: levels and thresholds, factor definitions, red-flag rules, matching
settings and the auto-clear rule. Loaded from YAML or JSON (`policy.loader`), exportable as JSON
Schema (`policy_json_schema`), evaluated by `engine.screen`.

Every model forbids unknown keys. Semantic checks that need the whole document (references between
rules and sources, field paths, country-agnosticism, ordered thresholds) run in `consistency_issues`,
which the model validator calls too, so a `Policy` object is always consistent however it was made.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationInfo, model_validator

from rsc_appraisal.engine.contracts import FactorCategory, ListKind, RiskLevel
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=100)]
SourceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")]
MeasureId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")]
Version = Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Prose = Annotated[str, Field(min_length=1, max_length=4000)]
Scalar = bool | int | float | str


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ------------------------------------------------------------------------------------- conditions

Op = Literal[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "is_true",
    "is_false",
    "missing",
    "present",
    "empty",
    "not_empty",
    "contains",
    "contains_any",
    "gt",
    "ge",
    "lt",
    "le",
]
VALUELESS_OPS = frozenset({"is_true", "is_false", "missing", "present", "empty", "not_empty"})
LIST_VALUE_OPS = frozenset({"in", "not_in", "contains_any"})
NUMERIC_OPS = frozenset({"gt", "ge", "lt", "le"})
SCALAR_VALUE_OPS = frozenset({"equals", "not_equals", "contains"})
PRESENCE_OPS = frozenset({"missing", "present", "empty", "not_empty"})


class FieldTest(PolicyModel):
    """`field op value`, e.g. {field: applicant.security_policy_in_place, op: is_false}."""

    field: str = Field(min_length=1, max_length=300)
    op: Op
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> FieldTest:
        value = self.value
        if self.op in VALUELESS_OPS and value is not None:
            raise ValueError(f"op {self.op!r} takes no value")
        if self.op in LIST_VALUE_OPS and (not isinstance(value, list) or not value):
            raise ValueError(f"op {self.op!r} needs a non-empty list as value")
        if self.op in NUMERIC_OPS and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"op {self.op!r} needs a number as value")
        if self.op in SCALAR_VALUE_OPS and (value is None or isinstance(value, list)):
            raise ValueError(f"op {self.op!r} needs a single value")
        return self


class AllOf(PolicyModel):
    all: list[Condition] = Field(min_length=1)


class AnyOf(PolicyModel):
    any: list[Condition] = Field(min_length=1)


class NotOf(PolicyModel):
    not_: Condition = Field(alias="not")


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in ("field", "all", "any", "not", "not_") if key in value]
        return {"not_": "not"}.get(present[0], present[0]) if len(present) == 1 else None
    return {FieldTest: "field", AllOf: "all", AnyOf: "any", NotOf: "not"}.get(type(value))


Condition = Annotated[
    Annotated[FieldTest, Tag("field")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message="a condition has exactly one of 'field' (with op, value), 'all', 'any' or 'not'",
    ),
]

for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()


# ------------------------------------------------------------------------------------------ rules

CountryRelation = Literal[
    "partner_establishment",
    "partner_ownership_control",
    "partner_controller",
    "applicant_foreign_ownership",
    "applicant_non_eu_funder",
    "researcher_appointment",
    "researcher_talent_programme",
    "researcher_outside_support",
]
COUNTRY_RELATIONS: tuple[str, ...] = CountryRelation.__args__  # type: ignore[attr-defined]

QueryKind = Literal[
    "applicant",
    "non_eu_funder",
    "partner",
    "partner_controller",
    "researcher_appointment",
    "talent_programme_sponsor",
    "outside_support_source",
]
QUERY_KINDS: tuple[str, ...] = QueryKind.__args__  # type: ignore[attr-defined]

ResearcherFact = Literal["appointment", "talent_programme", "outside_support"]
RESEARCHER_FACT_RELATION: dict[str, str] = {
    "appointment": "researcher_appointment",
    "talent_programme": "researcher_talent_programme",
    "outside_support": "researcher_outside_support",
}


class RuleBase(PolicyModel):
    id: RuleId
    category: FactorCategory
    title: Title
    level: RiskLevel = Field(description="The level this flag alone implies.")
    weight: float = Field(default=0.0, ge=0, le=100, description="Added to the category score (once per rule).")
    hard_gate: bool = Field(default=False, description="Forces the policy's hard-gate level; never auto-cleared.")
    requires_review: bool = Field(default=True, description="A flag of this rule prevents auto-clear.")
    rationale: Prose
    sources: list[SourceId] = Field(min_length=1)
    safeguards: list[MeasureId] = Field(default=[], description="Safeguard catalogue measures it calls for.")


class DeclarationRule(RuleBase):
    """A condition on what the applicant declared (fields of the engine input)."""

    type: Literal["declaration"]
    subject: Literal["applicant", "proposal"] = "proposal"
    when: Condition


class ThresholdRule(RuleBase):
    """A numeric field (or an aggregate over a list, with [*]) compared with a value."""

    type: Literal["threshold"]
    subject: Literal["applicant", "proposal"] = "proposal"
    field: str = Field(min_length=1, max_length=300)
    aggregate: Literal["max", "min", "sum", "count"] | None = None
    op: Literal["gt", "ge", "lt", "le"]
    value: float


class ClassificationRule(RuleBase):
    """Critical technology areas (found by the classifier and/or declared) and dual-use signals."""

    type: Literal["classification"]
    signal: Literal[
        "area_found", "area_declared", "area_found_or_declared", "area_undeclared", "area_implausible", "dual_use"
    ]
    areas: list[CriticalTechnologyArea] | None = Field(default=None, description="None = any area.")
    priority_areas_only: bool = Field(default=False, description="Only the four areas prioritised by C(2023) 6689.")
    dual_use_categories: list[DualUseCategory] | None = Field(default=None, description="None = any category.")
    min_confidence: float = Field(default=0.0, ge=0, le=1)


class CountryIndicatorRule(RuleBase):
    """For every country in the listed relations: a condition on its indicators (field = indicator name)."""

    type: Literal["country_indicator"]
    relations: list[CountryRelation] = Field(min_length=1)
    when: Condition


class CountryDataGapRule(RuleBase):
    """Fires where an indicator used by this policy's country rules has no value for a country."""

    type: Literal["country_data_gap"]
    relations: list[CountryRelation] = Field(min_length=1)


class ListCriteria(PolicyModel):
    list_kinds: list[ListKind] | None = Field(default=None, description="None = any kind of list.")
    topics: list[str] | None = Field(default=None, description="Any of these FollowTheMoney topics; None = any.")
    strength: Literal["possible", "confirmed"] = Field(
        default="possible",
        description="possible: score >= matching.match_threshold; confirmed: score >= matching.confirmed_threshold "
        "(or an identifier match, if matching.identifier_match_confirms).",
    )
    min_score: float | None = Field(default=None, ge=0, le=1, description="Overrides the threshold of `strength`.")
    require_identifier_match: bool = False
    control_chain: Literal["include", "exclude", "only"] = Field(
        default="include", description="Candidates found through an ownership/control chain to a listed party."
    )


class ListMatchRule(RuleBase):
    """A screened organisation matches an entity-list entry."""

    type: Literal["list_match"]
    subjects: list[QueryKind] = Field(min_length=1)
    match: ListCriteria = ListCriteria()


class PartnerAttributeRule(RuleBase):
    """A condition on each partner's declared attributes (fields of `Partner`)."""

    type: Literal["partner_attribute"]
    when: Condition


class ResearcherRule(RuleBase):
    """A key researcher's current appointment, talent programme or outside support: optionally matched on a
    list, in a country with an indicator condition, and/or with an attribute condition. With none of the
    three, the fact itself fires the rule (e.g. participation in a talent programme, to be reviewed)."""

    type: Literal["researcher"]
    facts: list[ResearcherFact] = Field(min_length=1)
    list_match: ListCriteria | None = None
    country: Condition | None = Field(default=None, description="Condition on the fact's country's indicators.")
    when: Condition | None = Field(default=None, description="Condition on the fact's own fields.")


class CombinationRule(RuleBase):
    """Fires when other rules fired: the Recommendation's "combination of factors". It sees the flags of
    every non-combination rule and of the combination rules listed before it."""

    type: Literal["combination"]
    all_categories: list[FactorCategory] = Field(
        default=[], description="Each needs at least one flag of level >= min_level."
    )
    min_level: RiskLevel = RiskLevel.medium
    all_rules: list[RuleId] = Field(default=[], description="Each of these must have fired.")
    any_rules: list[RuleId] = Field(default=[], description="At least one of these must have fired (if given).")


Rule = Annotated[
    DeclarationRule
    | ThresholdRule
    | ClassificationRule
    | CountryIndicatorRule
    | CountryDataGapRule
    | ListMatchRule
    | PartnerAttributeRule
    | ResearcherRule
    | CombinationRule,
    Field(discriminator="type"),
]
RULE_TYPES: tuple[str, ...] = (
    "declaration",
    "threshold",
    "classification",
    "country_indicator",
    "country_data_gap",
    "list_match",
    "partner_attribute",
    "researcher",
    "combination",
)


# ------------------------------------------------------------------------------------ the policy


class Source(PolicyModel):
    id: SourceId
    title: Title
    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=500)]


class Threshold(PolicyModel):
    min_score: float = Field(gt=0)
    level: RiskLevel


class Escalation(PolicyModel):
    """If at least `min_categories` categories are at `at_least` or above, the overall level is at least `level`."""

    min_categories: int = Field(ge=1, le=4)
    at_least: RiskLevel
    level: RiskLevel


class Levels(PolicyModel):
    meanings: dict[RiskLevel, Prose] = Field(description="What each level means for the case (every level).")
    category_thresholds: list[Threshold] = Field(description="Category score -> minimum level, ascending.")
    category_overrides: dict[FactorCategory, list[Threshold]] = Field(
        default={}, description="Per-category thresholds replacing category_thresholds."
    )
    overall_thresholds: list[Threshold] = Field(description="Sum of category scores -> minimum overall level.")
    escalations: list[Escalation] = []
    hard_gate_level: RiskLevel = RiskLevel.very_high


class MatchingSettings(PolicyModel):
    match_threshold: float = Field(ge=0, le=1, description="A candidate at or above this is a possible match.")
    confirmed_threshold: float = Field(ge=0, le=1, description="At or above this a match counts as confirmed.")
    identifier_match_confirms: bool = Field(default=True, description="An identifier match counts as confirmed.")


class AutoClearRule(PolicyModel):
    """What may be cleared without an officer."""

    enabled: bool = True
    max_level: RiskLevel = RiskLevel.low
    allow_with_example_data: bool = Field(
        default=False, description="Example (illustrative) country data is never a basis for a decision."
    )
    description: str = ""


class FactorDefinition(PolicyModel):
    title: Title
    description: Prose
    sources: list[SourceId] = Field(min_length=1)


class Policy(PolicyModel):
    version: Version
    title: Title
    owner: Title
    description: str = ""
    effective_from: date
    review_by: date
    sources: list[Source] = Field(min_length=1)
    safeguard_catalogue: Version = Field(description="Version of the safeguard catalogue the rules refer to.")
    indicator_set: Version = Field(description="Version of the country indicator set the rules refer to.")
    matching: MatchingSettings
    auto_clear: AutoClearRule
    levels: Levels
    factors: dict[FactorCategory, FactorDefinition]
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Policy:
        if info.context and info.context.get("defer_consistency"):
            return self
        from rsc_appraisal.policy.checks import consistency_issues

        issues = consistency_issues(self)
        if issues:
            raise ValueError("; ".join(str(issue) for issue in issues))
        return self

    def rule(self, rule_id: str) -> Any:
        return next(r for r in self.rules if r.id == rule_id)

    def source_ids(self) -> set[str]:
        return {s.id for s in self.sources}

    def lowest_match_score(self) -> float:
        """The lowest candidate score a rule of this policy can act on: `matching.match_threshold`, or the
        confirmed threshold or a rule's `min_score` where lower. The entity matcher must return every candidate
        down to it, or the policy's thresholds have no effect (`screenings.context.matcher_settings`)."""
        scores = [self.matching.match_threshold, self.matching.confirmed_threshold]
        for rule in self.rules:
            criteria = rule.match if isinstance(rule, ListMatchRule) else getattr(rule, "list_match", None)
            if isinstance(criteria, ListCriteria) and criteria.min_score is not None:
                scores.append(criteria.min_score)
        return min(scores)

    def measure_ids(self) -> list[str]:
        """Every safeguard measure the rules refer to, in first-use order."""
        seen: dict[str, None] = {}
        for rule in self.rules:
            for measure in rule.safeguards:
                seen.setdefault(measure, None)
        return list(seen)


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of policy documents (as accepted by the loader)."""
    schema = Policy.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
