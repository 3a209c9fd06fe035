"""Rule evaluation: each rule type yields (subject, evidence) hits; `screen` groups them into flags.

Subjects: 'proposal', 'applicant', or the `OrganisationQuery.ref` of a partner, a partner's owner or
controller (`partner:<id>/owner:<i>`), a non-EU funder (`applicant/funder:<i>`) or a researcher's
appointment / talent programme / outside support (`researcher:<id>/<fact>:<i>`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from rsc_appraisal.engine.conditions import MISSING, Hit, evaluate, evaluate_indicators, resolve
from rsc_appraisal.engine.contracts import (
    ClassificationResult,
    CountryProfileSet,
    Evidence,
    IndicatorValue,
    MatchCandidate,
    MatchResult,
    ScreeningInput,
)
from rsc_appraisal.engine.inputs import (
    APPLICANT_REF,
    FACT_FIELDS,
    ScreenedOrganisation,
    controller_ref,
    funder_ref,
    partner_ref,
    pointer,
    researcher_fact_ref,
)
from rsc_appraisal.policy.schema import (
    RESEARCHER_FACT_RELATION,
    ClassificationRule,
    CountryDataGapRule,
    CountryIndicatorRule,
    DeclarationRule,
    ListCriteria,
    ListMatchRule,
    MatchingSettings,
    PartnerAttributeRule,
    Policy,
    ResearcherRule,
    ThresholdRule,
)
from rsc_common.contracts.vocabulary import PRIORITY_CRITICAL_TECHNOLOGY_AREAS

RuleHit = tuple[str, Evidence]  # (subject, evidence)


def jsonable(value: Any) -> Any:
    """Plain JSON values for `Evidence.data`."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def _render(value: Any) -> str:
    plain = jsonable(value)
    if plain is None:
        return "not given"
    if isinstance(plain, bool):
        return "yes" if plain else "no"
    if plain == "" or plain == [] or plain == {}:
        return "empty"
    if isinstance(plain, list) and all(isinstance(v, str | int | float) for v in plain):
        return ", ".join(str(v) for v in plain)
    return str(plain) if not isinstance(plain, dict | list) else "given"


@dataclass(frozen=True)
class CountryContext:
    """A country the proposal involves, and through what."""

    relation: str
    country: str
    subject: str
    pointer: str


def country_contexts(screening_input: ScreeningInput) -> list[CountryContext]:
    out: list[CountryContext] = []
    applicant = screening_input.applicant
    if applicant.foreign_ownership is not None:
        for index, country in enumerate(applicant.foreign_ownership.countries):
            out.append(
                CountryContext(
                    "applicant_foreign_ownership",
                    country,
                    APPLICANT_REF,
                    pointer("applicant", "foreign_ownership", "countries", index),
                )
            )
    for index, funder in enumerate(applicant.largest_non_eu_funders):
        out.append(
            CountryContext(
                "applicant_non_eu_funder",
                funder.country,
                funder_ref(index),
                pointer("applicant", "largest_non_eu_funders", index, "country"),
            )
        )
    for p_index, partner in enumerate(screening_input.partners):
        ref = partner_ref(partner.partner_id)
        out.append(
            CountryContext("partner_establishment", partner.country, ref, pointer("partners", p_index, "country"))
        )
        for index, country in enumerate(partner.ownership_control_countries):
            out.append(
                CountryContext(
                    "partner_ownership_control",
                    country,
                    ref,
                    pointer("partners", p_index, "ownership_control_countries", index),
                )
            )
        for index, controller in enumerate(partner.owners_and_controllers):
            out.append(
                CountryContext(
                    "partner_controller",
                    controller.country,
                    controller_ref(partner.partner_id, index),
                    pointer("partners", p_index, "owners_and_controllers", index, "country"),
                )
            )
    for r_index, researcher in enumerate(screening_input.researchers):
        for fact, field in FACT_FIELDS.items():
            for f_index, item in enumerate(getattr(researcher, field)):
                country_field = "sponsor_country" if fact == "talent_programme" else "country"
                out.append(
                    CountryContext(
                        RESEARCHER_FACT_RELATION[fact],
                        getattr(item, country_field),
                        researcher_fact_ref(researcher.researcher_id, fact, f_index),
                        pointer("researchers", r_index, field, f_index, country_field),
                    )
                )
    return out


@dataclass(frozen=True)
class Context:
    screening_input: ScreeningInput
    policy: Policy
    classification: ClassificationResult
    classifier_version: str
    organisations: list[ScreenedOrganisation]
    matches: dict[str, MatchResult]
    countries: CountryProfileSet
    contexts: list[CountryContext]
    indicators_needed: dict[str, list[str]]  # per country relation, the indicators the policy reads

    def indicators_of(self, country: str) -> Mapping[str, IndicatorValue]:
        profile = self.countries.profiles.get(country)
        return profile.indicators if profile is not None else {}


# ------------------------------------------------------------------------------- field conditions


def _declaration_evidence(hits: list[Hit], base: tuple[str | int, ...], source: str) -> list[Evidence]:
    return [
        Evidence(
            kind="declaration",
            detail=f"{hit.field}: {_render(hit.value)}",
            pointer=pointer(*base, *hit.segments),
            source=source,
            data={"field": hit.field, "value": jsonable(hit.value)},
        )
        for hit in hits
    ] or [Evidence(kind="declaration", detail="condition met", source=source)]


def declaration(rule: DeclarationRule, ctx: Context) -> Iterator[RuleHit]:
    ok, hits = evaluate(rule.when, ctx.screening_input)
    if ok:
        subject = APPLICANT_REF if rule.subject == "applicant" else "proposal"
        for evidence in _declaration_evidence(hits, (), "applicant declaration"):
            yield subject, evidence


def threshold(rule: ThresholdRule, ctx: Context) -> Iterator[RuleHit]:
    found = resolve(ctx.screening_input, rule.field)
    numbers = [
        (segments, float(value))
        for segments, value in found
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    ]
    if rule.aggregate is None:
        chosen = numbers[:1]
        measured = chosen[0][1] if chosen else None
    elif rule.aggregate in ("max", "min"):
        pick = max if rule.aggregate == "max" else min
        chosen = [pick(numbers, key=lambda item: item[1])] if numbers else []
        measured = chosen[0][1] if chosen else None
    elif rule.aggregate == "sum":
        chosen, measured = numbers, sum(v for _, v in numbers)
    else:  # count
        chosen = [(s, v) for s, v in found if v is not MISSING and v is not None]
        measured = float(len(chosen))
    if measured is None:
        return
    passed = {
        "gt": measured > rule.value,
        "ge": measured >= rule.value,
        "lt": measured < rule.value,
        "le": measured <= rule.value,
    }
    if not passed[rule.op]:
        return
    subject = APPLICANT_REF if rule.subject == "applicant" else "proposal"
    label = f"{rule.aggregate} of " if rule.aggregate else ""
    detail = f"{label}{rule.field} = {measured:g} ({rule.op} {rule.value:g})"
    pointers = [pointer(*segments) for segments, _ in chosen] or [None]
    for index, where in enumerate(pointers):
        yield (
            subject,
            Evidence(
                kind="declaration",
                detail=detail,
                pointer=where,
                source="applicant declaration",
                data={"field": rule.field, "value": measured, "threshold": rule.value, "op": rule.op}
                if index == 0
                else {"field": rule.field},
            ),
        )


def partner_attribute(rule: PartnerAttributeRule, ctx: Context) -> Iterator[RuleHit]:
    for index, partner in enumerate(ctx.screening_input.partners):
        ok, hits = evaluate(rule.when, partner)
        if ok:
            for evidence in _declaration_evidence(hits, ("partners", index), "applicant declaration"):
                yield partner_ref(partner.partner_id), evidence


# --------------------------------------------------------------------------------- classification


def _area_filter(rule: ClassificationRule) -> Any:
    if rule.priority_areas_only:
        return lambda area: area in PRIORITY_CRITICAL_TECHNOLOGY_AREAS
    if rule.areas is not None:
        wanted = set(rule.areas)
        return lambda area: area in wanted
    return lambda area: True


def classification(rule: ClassificationRule, ctx: Context) -> Iterator[RuleHit]:
    result = ctx.classification
    source = f"classifier {ctx.classifier_version}"
    if rule.signal == "dual_use":
        wanted = set(rule.dual_use_categories) if rule.dual_use_categories is not None else None
        for signal in result.dual_use:
            if signal.confidence >= rule.min_confidence and (wanted is None or signal.category in wanted):
                yield (
                    "proposal",
                    Evidence(
                        kind="text",
                        detail=f"dual-use category {signal.category.value} (confidence {signal.confidence:.2f}): "
                        + ", ".join(signal.phrases),
                        pointer=pointer("details"),
                        source=source,
                        data={
                            "dual_use_category": signal.category.value,
                            "confidence": signal.confidence,
                            "phrases": list(signal.phrases),
                        },
                    ),
                )
        return
    keep = _area_filter(rule)
    if rule.signal in ("area_found", "area_found_or_declared"):
        for signal in result.areas:
            if signal.confidence >= rule.min_confidence and keep(signal.area):
                yield (
                    "proposal",
                    Evidence(
                        kind="text",
                        detail=f"{signal.area.value} found (confidence {signal.confidence:.2f}): "
                        + ", ".join(signal.phrases),
                        pointer=pointer("details"),
                        source=source,
                        data={
                            "area": signal.area.value,
                            "confidence": signal.confidence,
                            "phrases": list(signal.phrases),
                            "technologies": list(signal.technologies),
                        },
                    ),
                )
    if rule.signal in ("area_declared", "area_found_or_declared"):
        for index, area in enumerate(ctx.screening_input.details.critical_technology_areas or []):
            if keep(area):
                yield (
                    "proposal",
                    Evidence(
                        kind="declaration",
                        detail=f"{area.value} declared",
                        pointer=pointer("details", "critical_technology_areas", index),
                        source="applicant declaration",
                        data={"area": area.value},
                    ),
                )
    if rule.signal in ("area_undeclared", "area_implausible"):
        areas = result.undeclared_areas if rule.signal == "area_undeclared" else result.implausible_declared_areas
        what = "found in the text but not declared" if rule.signal == "area_undeclared" else "declared, not in text"
        for area in areas:
            if keep(area):
                yield (
                    "proposal",
                    Evidence(
                        kind="text",
                        detail=f"{area.value}: {what}",
                        pointer=pointer("details", "critical_technology_areas"),
                        source=source,
                        data={"area": area.value},
                    ),
                )


# ---------------------------------------------------------------------------------------- country


def _indicator_evidence(context: CountryContext, hits: list[Any], relation_label: str | None = None) -> Evidence:
    shown = ", ".join(f"{h.indicator} = {_render(h.value.value)}" for h in hits)
    return Evidence(
        kind="country_indicator",
        detail=f"{relation_label or context.relation}: {context.country}: {shown}",
        pointer=context.pointer,
        source="; ".join(dict.fromkeys(h.value.source for h in hits)),
        data={
            "country": context.country,
            "relation": context.relation,
            "indicators": {
                h.indicator: {
                    "value": h.value.value,
                    "source": h.value.source,
                    "retrieved": h.value.retrieved.isoformat(),
                }
                for h in hits
            },
        },
    )


def country_indicator(rule: CountryIndicatorRule, ctx: Context) -> Iterator[RuleHit]:
    for context in ctx.contexts:
        if context.relation not in rule.relations:
            continue
        ok, hits = evaluate_indicators(rule.when, ctx.indicators_of(context.country))
        if ok:
            yield context.subject, _indicator_evidence(context, hits)


def country_data_gap(rule: CountryDataGapRule, ctx: Context) -> Iterator[RuleHit]:
    needed = ctx.indicators_needed
    for context in ctx.contexts:
        if context.relation not in rule.relations or not needed.get(context.relation):
            continue
        known = ctx.indicators_of(context.country)
        missing = [n for n in needed[context.relation] if n not in known or known[n].value is None]
        if missing:
            yield (
                context.subject,
                Evidence(
                    kind="country_data_gap",
                    detail=f"{context.relation}: {context.country}: no value for {', '.join(missing)}",
                    pointer=context.pointer,
                    source=f"country profiles {ctx.countries.version_label}",
                    data={"country": context.country, "relation": context.relation, "missing": missing},
                ),
            )


# --------------------------------------------------------------------------------------- matching


def candidate_passes(criteria: ListCriteria, candidate: MatchCandidate, matching: MatchingSettings) -> bool:
    if criteria.list_kinds is not None and candidate.list_kind not in criteria.list_kinds:
        return False
    if criteria.topics is not None and not set(candidate.topics) & set(criteria.topics):
        return False
    chained = bool(candidate.control_chain) or candidate.listed_controller_id is not None
    if (criteria.control_chain == "exclude" and chained) or (criteria.control_chain == "only" and not chained):
        return False
    if criteria.require_identifier_match and not candidate.identifier_match:
        return False
    if criteria.strength == "confirmed":
        minimum = criteria.min_score if criteria.min_score is not None else matching.confirmed_threshold
        return candidate.score >= minimum or (candidate.identifier_match and matching.identifier_match_confirms)
    minimum = criteria.min_score if criteria.min_score is not None else matching.match_threshold
    return candidate.score >= minimum or candidate.identifier_match


def sorted_candidates(result: MatchResult | None) -> list[MatchCandidate]:
    if result is None:
        return []
    return sorted(result.candidates, key=lambda c: (-c.score, c.list_key, c.entry_id))


def _match_evidence(candidate: MatchCandidate, query_pointer: str) -> Evidence:
    chain = [link.model_dump(mode="json") for link in candidate.control_chain]
    how = "identifier match" if candidate.identifier_match else f"score {candidate.score:.2f}"
    detail = (
        f"'{candidate.query_name}' ~ '{candidate.matched_name}' ({candidate.entry_caption}) on {candidate.list_key}"
    )
    if chain:
        detail += f", controlled by listed {candidate.control_chain[0].controller_name}"
    return Evidence(
        kind="ownership_chain" if chain or candidate.listed_controller_id else "list_match",
        detail=f"{detail}: {how}",
        pointer=query_pointer,
        source=f"list:{candidate.list_key}@{candidate.list_version}",
        data={
            "list_key": candidate.list_key,
            "list_version": candidate.list_version,
            "list_kind": candidate.list_kind.value,
            "entry_id": candidate.entry_id,
            "entry_caption": candidate.entry_caption,
            "score": candidate.score,
            "identifier_match": candidate.identifier_match,
            "topics": list(candidate.topics),
            "control_chain": chain,
            "listed_controller_id": candidate.listed_controller_id,
        },
    )


def list_match(rule: ListMatchRule, ctx: Context) -> Iterator[RuleHit]:
    for organisation in ctx.organisations:
        if organisation.kind not in rule.subjects:
            continue
        query = organisation.query
        for candidate in sorted_candidates(ctx.matches.get(query.ref)):
            if candidate_passes(rule.match, candidate, ctx.policy.matching):
                yield query.ref, _match_evidence(candidate, query.pointer)


def researcher(rule: ResearcherRule, ctx: Context) -> Iterator[RuleHit]:
    for r_index, facts in enumerate(ctx.screening_input.researchers):
        for fact in rule.facts:
            field = FACT_FIELDS[fact]
            for f_index, item in enumerate(getattr(facts, field)):
                ref = researcher_fact_ref(facts.researcher_id, fact, f_index)
                where = pointer("researchers", r_index, field, f_index)
                evidence: list[Evidence] = []
                if rule.list_match is not None:
                    found = [
                        _match_evidence(c, where)
                        for c in sorted_candidates(ctx.matches.get(ref))
                        if candidate_passes(rule.list_match, c, ctx.policy.matching)
                    ]
                    if not found:
                        continue
                    evidence += found
                if rule.country is not None:
                    country = item.sponsor_country if fact == "talent_programme" else item.country
                    ok, hits = evaluate_indicators(rule.country, ctx.indicators_of(country))
                    if not ok:
                        continue
                    context = CountryContext(
                        RESEARCHER_FACT_RELATION[fact],
                        country,
                        ref,
                        where + ("/sponsor_country" if fact == "talent_programme" else "/country"),
                    )
                    evidence.append(_indicator_evidence(context, hits))
                if rule.when is not None:
                    ok, hits = evaluate(rule.when, item)
                    if not ok:
                        continue
                    evidence += _declaration_evidence(
                        hits, ("researchers", r_index, field, f_index), "researcher disclosure"
                    )
                if not evidence:
                    organisation = {
                        "appointment": getattr(item, "organisation", ""),
                        "talent_programme": getattr(item, "sponsor", ""),
                        "outside_support": getattr(item, "source", ""),
                    }[fact]
                    evidence.append(
                        Evidence(
                            kind="declaration",
                            detail=f"current {fact.replace('_', ' ')}: {organisation}",
                            pointer=where,
                            source="researcher disclosure",
                            data={"fact": fact, "organisation": organisation},
                        )
                    )
                for item_evidence in evidence:
                    yield ref, item_evidence


EVALUATORS: dict[str, Any] = {
    "declaration": declaration,
    "threshold": threshold,
    "classification": classification,
    "country_indicator": country_indicator,
    "country_data_gap": country_data_gap,
    "list_match": list_match,
    "partner_attribute": partner_attribute,
    "researcher": researcher,
}
