"""Every rule type, hard gates, aggregation, auto-clear, safeguards, warnings and reference versions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rsc_appraisal.engine.contracts import FactorCategory, ListKind, RiskLevel, ScreeningResult
from rsc_appraisal.engine.inputs import from_snapshot
from rsc_appraisal.engine.screen import ConfigurationError, References, screen
from rsc_appraisal.policy import default_safeguard_catalogue
from rsc_common.contracts.vocabulary import CriticalTechnologyArea as Area
from rsc_common.contracts.vocabulary import DualUseCategory
from tests.appraisal.unit.engine.support import (
    TODAY,
    FakeClassifier,
    FakeMatcher,
    Hit,
    make_policy,
    neutral,
    partner,
    profile_set,
    references,
    researcher,
    rule,
    snapshot,
)

COUNTRIES = profile_set(
    {
        **neutral("FR", "DE", "JP", "CH", "SG", "US"),
        **neutral("BV", eu_member_state=False, eu_sanctions_regime=True, rule_of_law_index=0.2),
        **neutral("HM", eu_member_state=False, academic_freedom_index=0.3, state_compulsion_law=True),
        "AQ": {"eu_member_state": False, "academic_freedom_index": None},
    }
)


def run(
    policy: Any,
    snap: Any = None,
    *,
    classifier: FakeClassifier | None = None,
    matcher: FakeMatcher | None = None,
    countries: Any = COUNTRIES,
    today: date = TODAY,
) -> ScreeningResult:
    refs = references(countries, classifier=classifier, matcher=matcher)
    return screen(from_snapshot(snap or snapshot()), policy, refs, today)


def fired(result: ScreeningResult) -> list[tuple[str, str]]:
    return [(f.rule_id, f.subject) for f in result.flags]


def ids(result: ScreeningResult) -> list[str]:
    return list(dict.fromkeys(f.rule_id for f in result.flags))


# ------------------------------------------------------------------------------------ declaration


def test_declaration_rule_fires_with_pointer_and_subject() -> None:
    policy = make_policy(
        rule(
            "applicant.no_policy",
            "declaration",
            subject="applicant",
            category="applicant_organisation",
            when={
                "any": [
                    {"field": "applicant.security_policy_in_place", "op": "is_false"},
                    {"field": "applicant.security_policy_in_place", "op": "missing"},
                ]
            },
        )
    )
    assert run(policy).flags == ()
    for value in (False, None):
        result = run(policy, snapshot(org={"security_policy_in_place": value}))
        (flag,) = result.flags
        assert (flag.rule_id, flag.subject, flag.category) == (
            "applicant.no_policy",
            "applicant",
            FactorCategory.applicant_organisation,
        )
        assert flag.evidence[0].pointer == "/organisation/security_policy_in_place"
        assert flag.evidence[0].data == {"field": "applicant.security_policy_in_place", "value": value}


def test_declaration_all_any_not_and_self_assessment_answers() -> None:
    policy = make_policy(
        rule(
            "domain.dual_use_no_icp",
            "declaration",
            when={
                "all": [
                    {"field": "self_assessment_answers.dual_use_items", "op": "is_true"},
                    {"not": {"field": "applicant.dual_use_compliance_programme", "op": "is_true"}},
                    {"field": "self_assessment_answers.research_nature", "op": "in", "value": ["applied", "both"]},
                ]
            },
        )
    )
    yes = {"dual_use_items": True, "research_nature": "applied"}
    assert run(policy, snapshot(answers=yes)).flags == ()  # has a compliance programme
    result = run(policy, snapshot(answers=yes, org={"dual_use_compliance_programme": False}))
    (flag,) = result.flags
    assert flag.subject == "proposal"
    assert [e.pointer for e in flag.evidence] == [
        "/content/self_assessment/answers/dual_use_items",
        "/organisation/dual_use_compliance_programme",
        "/content/self_assessment/answers/research_nature",
    ]
    basic = {"dual_use_items": True, "research_nature": "basic"}
    assert run(policy, snapshot(answers=basic, org={"dual_use_compliance_programme": False})).flags == ()


def test_declaration_on_details_and_missing_answers() -> None:
    policy = make_policy(
        rule(
            "d.data", "declaration", when={"field": "details.data_management.sensitive_personal_data", "op": "is_true"}
        ),
        rule("d.unanswered", "declaration", when={"field": "self_assessment_answers.not_asked", "op": "missing"}),
    )
    result = run(
        policy,
        snapshot(details={"data_management": {"sensitive_personal_data": True, "large_or_aggregated_datasets": False}}),
    )
    assert ids(result) == ["d.data", "d.unanswered"]
    assert result.flags[0].evidence[0].pointer == "/content/details/data_management/sensitive_personal_data"


# -------------------------------------------------------------------------------------- threshold


def test_threshold_max_over_list_points_at_the_largest_element() -> None:
    policy = make_policy(
        rule(
            "applicant.dominant_funder",
            "threshold",
            subject="applicant",
            category="applicant_organisation",
            field="applicant.largest_non_eu_funders[*].share_percent",
            aggregate="max",
            op="gt",
            value=25,
        )
    )
    assert run(policy).flags == ()  # no funders: nothing to compare
    funders = [
        {"name": "Small Fund", "country": "CH", "share_percent": "10.00"},
        {"name": "Big Fund", "country": "US", "share_percent": "30.00"},
    ]
    (flag,) = run(policy, snapshot(org={"largest_non_eu_funders": funders})).flags
    assert flag.evidence[0].pointer == "/organisation/largest_non_eu_funders/1/share_percent"
    assert flag.evidence[0].data["value"] == 30.0
    funders[1]["share_percent"] = "25.00"
    assert run(policy, snapshot(org={"largest_non_eu_funders": funders})).flags == ()


@pytest.mark.parametrize(
    ("aggregate", "op", "value", "fires"),
    [("sum", "ge", 40, True), ("sum", "gt", 40, False), ("count", "ge", 2, True), ("min", "lt", 15, True)],
)
def test_threshold_aggregates(aggregate: str, op: str, value: float, fires: bool) -> None:
    policy = make_policy(
        rule(
            "t",
            "threshold",
            field="applicant.largest_non_eu_funders[*].share_percent",
            aggregate=aggregate,
            op=op,
            value=value,
        )
    )
    funders = [
        {"name": "A Fund", "country": "CH", "share_percent": "10.00"},
        {"name": "B Fund", "country": "US", "share_percent": "30.00"},
    ]
    assert bool(run(policy, snapshot(org={"largest_non_eu_funders": funders})).flags) is fires


def test_threshold_on_a_single_field() -> None:
    policy = make_policy(rule("t", "threshold", field="applicant.non_eu_funding_share_percent", op="gt", value=50))
    assert run(policy).flags == ()
    (flag,) = run(policy, snapshot(org={"non_eu_funding_share_percent": "60.00"})).flags
    assert flag.evidence[0].pointer == "/organisation/non_eu_funding_share_percent"
    assert run(policy, snapshot(org={"non_eu_funding_share_percent": None})).flags == ()


# --------------------------------------------------------------------------------- classification


def test_classification_signals() -> None:
    policy = make_policy(
        rule("c.found", "classification", category="research_domain", signal="area_found", min_confidence=0.6),
        rule(
            "c.priority",
            "classification",
            category="research_domain",
            signal="area_found_or_declared",
            priority_areas_only=True,
        ),
        rule("c.energy", "classification", category="research_domain", signal="area_declared", areas=["energy"]),
        rule("c.undeclared", "classification", category="research_domain", signal="area_undeclared"),
        rule("c.implausible", "classification", category="research_domain", signal="area_implausible"),
        rule(
            "c.dual",
            "classification",
            category="research_domain",
            signal="dual_use",
            dual_use_categories=["4"],
            min_confidence=0.5,
        ),
    )
    classifier = FakeClassifier(
        areas=[(Area.energy, 0.9), (Area.quantum, 0.55)],
        dual_use=[(DualUseCategory.cat4_computers, 0.7), (DualUseCategory.cat6_sensors_lasers, 0.9)],
        undeclared=[Area.quantum],
        implausible=[Area.space_and_propulsion],
    )
    snap = snapshot(details={"critical_technology_areas": ["energy", "space_and_propulsion"]})
    result = run(policy, snap, classifier=classifier)
    assert ids(result) == ["c.found", "c.priority", "c.energy", "c.undeclared", "c.implausible", "c.dual"]
    by_id = {f.rule_id: f for f in result.flags}
    assert [e.data["area"] for e in by_id["c.found"].evidence] == ["energy"]  # quantum below 0.6
    assert [e.data["area"] for e in by_id["c.priority"].evidence] == ["quantum"]
    assert by_id["c.energy"].evidence[0].pointer == "/content/details/critical_technology_areas/0"
    assert [e.data["dual_use_category"] for e in by_id["c.dual"].evidence] == ["4"]
    assert by_id["c.found"].evidence[0].source == "classifier fake-classifier-1"
    assert run(policy).flags == ()


# ------------------------------------------------------------------------------ country indicators


def test_country_indicator_for_every_relation() -> None:
    policy = make_policy(
        rule(
            "country.sanctions",
            "country_indicator",
            category="third_country",
            relations=[
                "partner_establishment",
                "partner_ownership_control",
                "partner_controller",
                "applicant_foreign_ownership",
                "applicant_non_eu_funder",
                "researcher_appointment",
                "researcher_talent_programme",
                "researcher_outside_support",
            ],
            when={"field": "eu_sanctions_regime", "op": "is_true"},
        )
    )
    assert run(policy, snapshot(partners=[partner("Home", "DE")])).flags == ()
    far = partner(
        "Far Lab",
        "BV",
        ownership_control_countries=["BV"],
        owners_and_controllers=[{"name": "Far Holding", "country": "BV", "kind": "shareholder"}],
    )
    person = researcher(
        current_appointments=[{"organisation": "Far University", "country": "BV", "position": "Adjunct"}],
        talent_programmes=[{"name": "Far Talents", "sponsor": "Far Agency", "sponsor_country": "BV"}],
        outside_support=[{"source": "Far Fund", "country": "BV", "kind": "in_kind"}],
    )
    snap = snapshot(
        partners=[partner("Home", "DE"), far],
        researchers=[person],
        org={
            "foreign_ownership": {"owned_or_controlled_from_abroad": True, "countries": ["BV"]},
            "largest_non_eu_funders": [{"name": "Far Donor", "country": "BV", "share_percent": "5.00"}],
        },
    )
    result = run(policy, snap)
    far_id, person_id = snap.content.partners[1].partner_id, snap.content.researchers[0].researcher_id
    assert [s for _, s in fired(result)] == [
        "applicant",
        "applicant/funder:0",
        f"partner:{far_id}",
        f"partner:{far_id}/owner:0",
        f"researcher:{person_id}/appointment:0",
        f"researcher:{person_id}/talent_programme:0",
        f"researcher:{person_id}/outside_support:0",
    ]
    partner_flag = result.flags[2]
    assert [e.pointer for e in partner_flag.evidence] == [
        "/content/partners/1/country",
        "/content/partners/1/ownership_control_countries/0",
    ]
    evidence = partner_flag.evidence[0]
    assert evidence.kind == "country_indicator"
    assert evidence.source == "test source for eu_sanctions_regime"
    assert evidence.data["country"] == "BV"
    assert evidence.data["indicators"]["eu_sanctions_regime"]["value"] is True
    assert result.flags[-1].evidence[0].pointer == "/content/researchers/0/outside_support/0/country"
    assert result.flags[-2].evidence[0].pointer == "/content/researchers/0/talent_programmes/0/sponsor_country"


def test_country_indicator_scores_combinations_and_unknowns() -> None:
    policy = make_policy(
        rule(
            "country.weak",
            "country_indicator",
            category="third_country",
            relations=["partner_establishment"],
            when={
                "any": [
                    {"field": "rule_of_law_index", "op": "lt", "value": 0.4},
                    {"field": "academic_freedom_index", "op": "lt", "value": 0.4},
                ]
            },
        ),
        rule(
            "country.both",
            "country_indicator",
            category="third_country",
            relations=["partner_establishment"],
            when={
                "all": [
                    {"field": "academic_freedom_index", "op": "lt", "value": 0.4},
                    {"field": "state_compulsion_law", "op": "is_true"},
                ]
            },
        ),
    )
    snap = snapshot(partners=[partner("B", "BV"), partner("H", "HM"), partner("A", "AQ"), partner("N", "FR")])
    result = run(policy, snap)
    subjects = {pid: p.name for p in snap.content.partners for pid in [f"partner:{p.partner_id}"]}
    assert [(r, subjects[s]) for r, s in fired(result)] == [
        ("country.weak", "B"),
        ("country.weak", "H"),
        ("country.both", "H"),
    ]
    # unknown values (AQ: None or absent) never satisfy a test


def test_country_data_gap_lists_missing_indicators_used_by_the_policy() -> None:
    policy = make_policy(
        rule(
            "country.freedom",
            "country_indicator",
            category="third_country",
            relations=["partner_establishment", "researcher_appointment"],
            when={"field": "academic_freedom_index", "op": "lt", "value": 0.4},
        ),
        rule(
            "country.fusion",
            "country_indicator",
            category="third_country",
            relations=["partner_establishment"],
            when={"field": "civil_military_fusion_strategy", "op": "is_true"},
        ),
        rule(
            "country.gap",
            "country_data_gap",
            category="third_country",
            relations=["partner_establishment", "researcher_appointment"],
        ),
    )
    person = researcher(current_appointments=[{"organisation": "X Institute", "country": "IS", "position": "Fellow"}])
    snap = snapshot(partners=[partner("A", "AQ"), partner("N", "FR")], researchers=[person])
    result = run(policy, snap)
    assert ids(result) == ["country.gap"]
    first, second = result.flags
    assert first.evidence[0].data == {
        "country": "AQ",
        "relation": "partner_establishment",
        "missing": ["academic_freedom_index", "civil_military_fusion_strategy"],
    }
    assert first.evidence[0].pointer == "/content/partners/0/country"
    assert second.evidence[0].data["missing"] == ["academic_freedom_index"]  # not in the profile set at all
    assert second.subject.endswith("/appointment:0")
    assert first.level == RiskLevel.medium


# -------------------------------------------------------------------------------------- list match


def list_policy(**match: Any) -> Any:
    return make_policy(rule("l", "list_match", subjects=["partner", "partner_controller"], match=match))


def test_list_match_thresholds_and_identifier_matches() -> None:
    snap = snapshot(partners=[partner("Far Lab", "DE")])
    for score, possible, confirmed in ((0.7, False, False), (0.8, True, False), (0.95, True, True)):
        matcher = FakeMatcher(hits={"Far Lab": [Hit(score=score)]})
        assert bool(run(list_policy(), snap, matcher=matcher).flags) is possible
        assert bool(run(list_policy(strength="confirmed"), snap, matcher=matcher).flags) is confirmed
    by_identifier = FakeMatcher(hits={"Far Lab": [Hit(score=0.5, identifier_match=True)]})
    assert run(list_policy(strength="confirmed"), snap, matcher=by_identifier).flags
    assert run(list_policy(min_score=0.99), snap, matcher=FakeMatcher(hits={"Far Lab": [Hit(score=0.95)]})).flags == ()
    assert not run(
        list_policy(require_identifier_match=True), snap, matcher=FakeMatcher(hits={"Far Lab": [Hit()]})
    ).flags


def test_list_match_filters_kinds_topics_chains_and_subjects() -> None:
    snap = snapshot(
        partners=[
            partner(
                "Far Lab",
                "DE",
                owners_and_controllers=[{"name": "Far Holding", "country": "CH", "kind": "shareholder"}],
            )
        ],
        org={"legal_name": "Far Lab"},  # the applicant has the same name but is not a partner subject
    )
    export = Hit(list_key="export", kind=ListKind.export_control, topics=("export.control",), entry_id="e-1")
    chained = Hit(controlled_by="Listed Parent", entry_id="c-1")
    matcher = FakeMatcher(
        hits={"Far Lab": [export], "Far Holding": [chained]}, versions={"export": "1", "eu-sanctions": "2"}
    )
    pid = snap.content.partners[0].partner_id

    result = run(list_policy(list_kinds=["export_control"]), snap, matcher=matcher)
    assert fired(result) == [("l", f"partner:{pid}")]
    assert result.flags[0].evidence[0].source == "list:export@1"
    assert result.flags[0].evidence[0].pointer == "/content/partners/0"
    assert fired(run(list_policy(topics=["sanction"]), snap, matcher=matcher)) == [("l", f"partner:{pid}/owner:0")]
    only = run(list_policy(control_chain="only"), snap, matcher=matcher)
    assert fired(only) == [("l", f"partner:{pid}/owner:0")]
    assert only.flags[0].evidence[0].kind == "ownership_chain"
    assert only.flags[0].evidence[0].data["control_chain"][0]["controller_name"] == "Listed Parent"
    assert fired(run(list_policy(control_chain="exclude"), snap, matcher=matcher)) == [("l", f"partner:{pid}")]
    applicant_only = make_policy(rule("l", "list_match", subjects=["applicant"]))
    assert fired(run(applicant_only, snap, matcher=matcher)) == [("l", "applicant")]


# ------------------------------------------------------------------------------- partner attribute


def test_partner_attribute_rules() -> None:
    policy = make_policy(
        rule(
            "p.military",
            "partner_attribute",
            when={"field": "partner_type", "op": "equals", "value": "military_or_defence_affiliated"},
        ),
        rule(
            "p.shares",
            "partner_attribute",
            when={"field": "shares", "op": "contains_any", "value": ["know_how", "facility_access"]},
        ),
        rule(
            "p.controller",
            "partner_attribute",
            when={"field": "owners_and_controllers[*].decisive_influence", "op": "is_true"},
        ),
        rule("p.end_use", "partner_attribute", when={"field": "declared_end_use", "op": "empty"}),
        rule(
            "p.foreign_control", "partner_attribute", when={"field": "ownership_control_countries", "op": "not_empty"}
        ),
    )
    plain = partner("Plain", "DE", shares=["data"])
    special = partner(
        "Special",
        "DE",
        partner_type="military_or_defence_affiliated",
        shares=["software", "facility_access"],
        declared_end_use="",
        ownership_control_countries=["CH"],
        owners_and_controllers=[
            {"name": "Owner A", "country": "DE", "kind": "shareholder"},
            {"name": "Owner B", "country": "DE", "kind": "controlling_body", "decisive_influence": True},
        ],
    )
    snap = snapshot(partners=[plain, special])
    result = run(policy, snap)
    sid = f"partner:{snap.content.partners[1].partner_id}"
    assert fired(result) == [
        (r, sid) for r in ("p.military", "p.shares", "p.controller", "p.end_use", "p.foreign_control")
    ]
    by_id = {f.rule_id: f for f in result.flags}
    assert by_id["p.military"].evidence[0].pointer == "/content/partners/1/partner_type"
    assert (
        by_id["p.controller"].evidence[0].pointer == "/content/partners/1/owners_and_controllers/1/decisive_influence"
    )
    assert by_id["p.shares"].evidence[0].detail == "shares: software, facility_access"


# -------------------------------------------------------------------------------------- researcher


def test_researcher_rules_on_facts_lists_countries_and_attributes() -> None:
    policy = make_policy(
        rule("r.talent", "researcher", facts=["talent_programme"]),
        rule("r.listed", "researcher", facts=["appointment", "outside_support"], list_match={"strength": "possible"}),
        rule(
            "r.country",
            "researcher",
            facts=["outside_support"],
            country={"field": "eu_sanctions_regime", "op": "is_true"},
            when={"field": "kind", "op": "equals", "value": "funding"},
        ),
    )
    person = researcher(
        current_appointments=[
            {"organisation": "Clean University", "country": "JP", "position": "Visiting professor"},
            {"organisation": "Listed Institute", "country": "JP", "position": "Adjunct"},
        ],
        talent_programmes=[{"name": "Star Scholars", "sponsor": "Star Agency", "sponsor_country": "SG"}],
        outside_support=[
            {"source": "Far Fund", "country": "BV", "kind": "funding"},
            {"source": "Far Kind", "country": "BV", "kind": "in_kind"},
        ],
    )
    snap = snapshot(researchers=[person])
    rid = snap.content.researchers[0].researcher_id
    matcher = FakeMatcher(hits={"Listed Institute": [Hit(score=0.8)]})
    result = run(policy, snap, matcher=matcher)
    assert fired(result) == [
        ("r.talent", f"researcher:{rid}/talent_programme:0"),
        ("r.listed", f"researcher:{rid}/appointment:1"),
        ("r.country", f"researcher:{rid}/outside_support:0"),
    ]
    talent, listed, country = result.flags
    assert talent.evidence[0].pointer == "/content/researchers/0/talent_programmes/0"
    assert talent.evidence[0].data == {"fact": "talent_programme", "organisation": "Star Agency"}
    assert listed.evidence[0].pointer == "/content/researchers/0/current_appointments/1"
    assert [e.kind for e in country.evidence] == ["country_indicator", "declaration"]
    assert country.evidence[1].pointer == "/content/researchers/0/outside_support/0/kind"
    assert "Dana" not in str(result.model_dump())


# ------------------------------------------------------------------------------------- combination


def test_combination_rules_and_their_order() -> None:
    domain = rule("d.quantum", "classification", category="research_domain", level="low", signal="area_found")
    country = rule(
        "c.fusion",
        "country_indicator",
        category="third_country",
        level="medium",
        relations=["partner_establishment"],
        when={"field": "state_compulsion_law", "op": "is_true"},
    )
    combo = rule(
        "combo.domain_country",
        "combination",
        category="research_domain",
        level="high",
        any_rules=["d.quantum"],
        all_categories=["third_country"],
        min_level="medium",
    )
    combo2 = rule(
        "combo.second",
        "combination",
        category="partner_organisation",
        level="very_high",
        all_rules=["combo.domain_country"],
    )
    policy = make_policy(domain, country, combo, combo2)
    quantum = FakeClassifier(areas=[(Area.quantum, 0.9)])
    assert ids(run(policy, snapshot(partners=[partner("H", "HM")]))) == ["c.fusion"]
    assert ids(run(policy, snapshot(partners=[partner("F", "FR")]), classifier=quantum)) == ["d.quantum"]
    result = run(policy, snapshot(partners=[partner("H", "HM")]), classifier=quantum)
    assert ids(result) == ["d.quantum", "combo.domain_country", "c.fusion", "combo.second"]
    combined = result.flags[1]
    assert combined.subject == "proposal"
    assert combined.evidence[0].data["rules"] == ["d.quantum", "c.fusion"]
    assert result.level == RiskLevel.very_high
    # min_level: a low third-country flag does not count
    low_country = make_policy(domain, {**country, "level": "low"}, combo)
    assert ids(run(low_country, snapshot(partners=[partner("H", "HM")]), classifier=quantum)) == [
        "d.quantum",
        "c.fusion",
    ]


# ---------------------------------------------------------------------- hard gates and aggregation


def test_hard_gate_forces_level_and_blocks_auto_clear() -> None:
    policy = make_policy(
        rule("gate", "list_match", level="low", hard_gate=True, subjects=["partner"], match={"strength": "confirmed"})
    )
    snap = snapshot(partners=[partner("Far Lab", "DE")])
    result = run(policy, snap, matcher=FakeMatcher(hits={"Far Lab": [Hit(score=0.99)]}))
    (flag,) = result.flags
    assert flag.hard_gate
    assert flag.level == RiskLevel.very_high
    assert result.level == RiskLevel.very_high
    assert {c.category: c.level for c in result.categories}[FactorCategory.partner_organisation] == RiskLevel.very_high
    assert result.auto_clear is False
    other_gate_level = make_policy(
        rule("gate", "list_match", level="low", hard_gate=True, subjects=["partner"]),
        levels={
            **make_policy(rule("x", "declaration", when={"field": "version", "op": "present"})).levels.model_dump(
                mode="json"
            ),
            "hard_gate_level": "high",
        },
    )
    assert run(other_gate_level, snap, matcher=FakeMatcher(hits={"Far Lab": [Hit()]})).level == RiskLevel.high


def test_weights_count_once_per_rule_and_thresholds_escalate() -> None:
    weighted = [
        rule(
            "p.a",
            "partner_attribute",
            level="low",
            weight=1.5,
            requires_review=False,
            when={"field": "role", "op": "equals", "value": "beneficiary"},
        ),
        rule(
            "p.b",
            "partner_attribute",
            level="low",
            weight=1,
            requires_review=False,
            when={"field": "partner_type", "op": "equals", "value": "company"},
        ),
    ]
    policy = make_policy(*weighted)
    one = snapshot(partners=[partner("A", "DE")])
    result = run(policy, one)
    assert (result.categories[3].score, result.categories[3].level, result.level) == (1.5, RiskLevel.low, RiskLevel.low)
    assert result.auto_clear is True
    many = snapshot(partners=[partner(f"P{i}", "DE") for i in range(5)])
    assert run(policy, many).categories[3].score == 1.5  # five partners, one rule: counted once
    both = snapshot(partners=[partner("A", "DE", partner_type="company")])
    result = run(policy, both)
    assert (result.categories[3].score, result.categories[3].level) == (2.5, RiskLevel.medium)
    assert result.auto_clear is False  # overall medium


def test_escalation_table_and_overrides() -> None:
    levels = {
        "meanings": {level: level for level in ("low", "medium", "high", "very_high")},
        "category_thresholds": [{"min_score": 2, "level": "medium"}],
        "category_overrides": {"third_country": [{"min_score": 0.5, "level": "high"}]},
        "overall_thresholds": [{"min_score": 100, "level": "very_high"}],
        "escalations": [{"min_categories": 2, "at_least": "medium", "level": "high"}],
    }
    policy = make_policy(
        rule(
            "a",
            "declaration",
            category="applicant_organisation",
            level="medium",
            when={"field": "applicant.security_policy_in_place", "op": "is_false"},
        ),
        rule(
            "d",
            "declaration",
            category="research_domain",
            level="medium",
            when={"field": "self_assessment_answers.misuse_potential", "op": "is_true"},
        ),
        rule(
            "t",
            "country_indicator",
            category="third_country",
            level="low",
            weight=0.5,
            relations=["partner_establishment"],
            when={"field": "eu_member_state", "op": "is_false"},
        ),
        levels=levels,
    )
    assert run(policy, snapshot(org={"security_policy_in_place": False})).level == RiskLevel.medium
    both = run(policy, snapshot(org={"security_policy_in_place": False}, answers={"misuse_potential": True}))
    assert both.level == RiskLevel.high  # two categories at medium
    override = run(policy, snapshot(partners=[partner("H", "HM")]))
    assert override.categories[2].level == RiskLevel.high
    assert override.level == RiskLevel.high


def test_auto_clear_rules() -> None:
    info = rule("info", "declaration", level="low", requires_review=False, when={"field": "version", "op": "present"})
    review = rule("review", "declaration", level="low", when={"field": "version", "op": "present"})
    assert run(make_policy(info)).auto_clear is True
    assert run(make_policy(info, review)).auto_clear is False  # a flag that requires a person
    example = profile_set(neutral("FR", "DE"), example=True)
    assert run(make_policy(info), countries=example).auto_clear is False
    allowed = make_policy(info, auto_clear={"enabled": True, "max_level": "low", "allow_with_example_data": True})
    assert run(allowed, countries=example).auto_clear is True
    assert run(make_policy(info, auto_clear={"enabled": False})).auto_clear is False
    medium = make_policy(
        rule("m", "declaration", level="medium", requires_review=False, when={"field": "version", "op": "present"})
    )
    assert run(medium).auto_clear is False
    lenient = make_policy(
        rule("m", "declaration", level="medium", requires_review=False, when={"field": "version", "op": "present"}),
        auto_clear={"enabled": True, "max_level": "medium"},
    )
    assert run(lenient).auto_clear is True


# --------------------------------------------------------------------------------------- safeguards


def test_safeguards_are_deduplicated_in_catalogue_order_with_triggering_rules() -> None:
    policy = make_policy(
        rule(
            "z.first",
            "declaration",
            when={"field": "version", "op": "present"},
            safeguards=["training", "agreement_clauses"],
        ),
        rule("a.second", "declaration", when={"field": "version", "op": "present"}, safeguards=["agreement_clauses"]),
        rule("never", "declaration", when={"field": "version", "op": "missing"}, safeguards=["personnel_screening"]),
    )
    result = run(policy)
    catalogue_order = [m.id for m in default_safeguard_catalogue().measures]
    assert [s.measure_id for s in result.safeguards] == sorted(
        ["training", "agreement_clauses"], key=catalogue_order.index
    )
    by_id = {s.measure_id: s for s in result.safeguards}
    assert by_id["agreement_clauses"].triggered_by == ("z.first", "a.second")  # policy order
    assert by_id["training"].triggered_by == ("z.first",)
    assert by_id["training"].title == default_safeguard_catalogue().measure("training").title


def test_unknown_safeguard_is_a_configuration_error() -> None:
    policy = make_policy(
        rule("r", "declaration", when={"field": "version", "op": "present"}, safeguards=["no_such_measure"])
    )
    with pytest.raises(ConfigurationError, match="no_such_measure"):
        run(policy)
    with pytest.raises(ConfigurationError, match=r"safeguard catalogue 1999\.1"):
        run(
            make_policy(
                rule("r", "declaration", when={"field": "version", "op": "present"}), safeguard_catalogue="1999.1"
            )
        )


# ------------------------------------------------------------------------- warnings and versions


def test_review_date_and_effective_date_warnings() -> None:
    policy = make_policy(
        rule("r", "declaration", when={"field": "version", "op": "missing"}), version="2026.1", review_by="2027-05-31"
    )
    assert run(policy, today=date(2027, 5, 31)).warnings == ()
    late = run(policy, today=date(2027, 6, 1))
    assert late.warnings == ("policy 2026.1 is past its review date 2027-05-31",)
    assert late.policy_version == "2026.1"
    early = run(policy, today=date(2025, 12, 31))
    assert early.warnings == ("policy 2026.1 is not yet in effect (effective from 2026-01-01)",)


def test_data_warnings_and_reference_versions() -> None:
    policy = make_policy(
        rule(
            "c",
            "country_indicator",
            category="third_country",
            relations=["partner_establishment"],
            when={"field": "arms_embargo", "op": "is_true"},
        )
    )
    thin = profile_set(neutral("FR"), example=True, label="example-x").model_copy(
        update={"indicator_names": ("eu_member_state",)}
    )
    matcher = FakeMatcher(hits={"Far Lab": [Hit(list_key="stale")]}, versions={"eu-sanctions": "5", "list:stale": "1"})
    classifier = FakeClassifier(version="other")
    refs = References(
        classify=classifier.classify,
        classifier_version="expected",
        match=matcher.match,
        list_versions=matcher.list_versions,
        countries=thin,
    )
    result = screen(from_snapshot(snapshot(partners=[partner("Far Lab", "DE")])), policy, refs, TODAY)
    assert result.warnings == (
        "country profiles example-x are example data (illustrative placeholders, not an assessment of any country): "
        "not for real decisions",
        "country profiles example-x do not cover indicator(s) arms_embargo used by policy t.1: treated as unknown",
        "classifier reported version other, expected expected",
        "match candidate from list:stale version ?, but the recorded version is 1",
    )
    assert result.reference_versions == {
        "classifier": "expected",
        "countries": "example-x",
        "list:eu-sanctions": "5",
        "list:stale": "1",
        "safeguards": "2026.1",
    }
    assert len(result.input_hash) == 64
