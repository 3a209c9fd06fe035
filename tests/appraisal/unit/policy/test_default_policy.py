"""The shipped default policy and safeguard catalogue: complete, sourced, and behaving as documented."""

from __future__ import annotations

from datetime import date, timedelta

from rsc_appraisal.countries import default_indicator_set, load_example_country_profiles
from rsc_appraisal.engine.contracts import FactorCategory, RiskLevel
from rsc_appraisal.engine.inputs import from_snapshot
from rsc_appraisal.engine.screen import screen
from rsc_appraisal.policy import (
    RULE_TYPES,
    consistency_issues,
    default_policy,
    default_safeguard_catalogue,
    reference_issues,
)
from rsc_appraisal.policy.checks import indicators_by_relation
from rsc_common.contracts.vocabulary import CriticalTechnologyArea as Area
from tests.appraisal.unit.engine.support import (
    IMPORTED_AT,
    TODAY,
    FakeClassifier,
    FakeMatcher,
    Hit,
    neutral,
    partner,
    profile_set,
    references,
    researcher,
    snapshot,
)

EXPECTED_RULE_IDS = [
    "applicant.no_security_policy",
    "applicant.no_security_contact",
    "applicant.no_security_governance",
    "applicant.dual_use_without_compliance_programme",
    "applicant.high_non_eu_funding_share",
    "applicant.dominant_non_eu_funder",
    "applicant.owned_or_controlled_from_third_country",
    "applicant.talent_programme_participation",
    "applicant.sanctions_match_confirmed",
    "applicant.listed_funder_or_applicant",
    "domain.priority_critical_technology_area",
    "domain.critical_technology_area",
    "domain.undeclared_critical_technology_area",
    "domain.implausible_declared_area",
    "domain.dual_use_declared",
    "domain.dual_use_signal",
    "domain.applied_dual_use_research",
    "domain.export_licence_outstanding",
    "domain.export_licence_unknown",
    "domain.military_end_use",
    "domain.classified_information",
    "domain.clearances_missing",
    "domain.misuse_potential",
    "domain.human_rights_misuse",
    "domain.sensitive_infrastructure",
    "domain.sensitive_personal_data",
    "domain.large_aggregated_datasets",
    "country.third_country_partner",
    "country.eu_sanctions_regime",
    "country.un_sanctions_regime",
    "country.arms_embargo",
    "country.civil_military_fusion_strategy",
    "country.state_compulsion_law",
    "country.weak_rule_of_law",
    "country.limited_academic_freedom",
    "country.weak_human_rights_protection",
    "country.named_in_threat_assessment",
    "country.no_eu_adequacy_decision",
    "country.data_gap",
    "partner.sanctions_match_confirmed",
    "partner.owned_by_sanctioned_party",
    "partner.sanctions_match_possible",
    "partner.export_control_listed",
    "partner.watchlist_match",
    "partner.military_or_defence_affiliated",
    "partner.government_body",
    "partner.controlling_body_declared",
    "partner.owned_or_controlled_from_other_country",
    "partner.access_to_know_how_or_facilities",
    "partner.no_declared_end_use",
    "partner.no_identifiers",
    "researcher.sanctioned_affiliation_confirmed",
    "researcher.listed_affiliation",
    "combination.sensitive_domain_and_country_concern",
    "combination.sensitive_domain_and_partner_concern",
    "combination.military_partner_and_country_concern",
    "combination.priority_area_with_third_country_partner",
    "combination.dual_use_with_third_country_partner",
    "combination.sensitive_data_to_country_without_adequacy",
    "combination.talent_programme_in_sensitive_domain",
]
CLEAN = profile_set(neutral("FR", "DE", "JP"))


def test_default_policy_metadata() -> None:
    policy = default_policy()
    assert policy.version == "2026.1"
    assert policy.owner == "RSC default policy (example, adapt before use)"
    assert policy.effective_from == date(2026, 6, 1)
    assert policy.review_by == date(2027, 5, 31)  # one year: 1 June to 31 May
    assert timedelta(days=364) <= policy.review_by - policy.effective_from <= timedelta(days=366)
    assert policy.safeguard_catalogue == default_safeguard_catalogue().version
    assert policy.indicator_set == default_indicator_set().version
    assert set(policy.factors) == set(FactorCategory)
    source_ids = policy.source_ids()
    for required in (
        "council-rec-2024",
        "c-2023-6689",
        "reg-2021-821",
        "he-programme-guide",
        "loket-kennisveiligheid",
        "nsgrp-raf",
        "strac",
        "dod-matrix",
        "nih-matrix",
        "ukri-trusted-research",
        "npsa-trusted-research",
    ):
        assert required in source_ids


def test_default_policy_rules_are_complete_and_sourced() -> None:
    policy = default_policy()
    assert [r.id for r in policy.rules] == EXPECTED_RULE_IDS
    assert {r.type for r in policy.rules} == set(RULE_TYPES)
    assert consistency_issues(policy) == []
    catalogue = default_safeguard_catalogue()
    assert reference_issues(policy, indicators=default_indicator_set(), catalogue=catalogue) == []
    for r in policy.rules:
        assert r.sources, r.id
        assert r.rationale.strip(), r.id
        if r.level != RiskLevel.low or r.requires_review:
            assert r.safeguards or r.hard_gate or r.type in ("country_data_gap", "list_match"), r.id
    used = {name for names in indicators_by_relation(policy).values() for name in names}
    assert used == set(default_indicator_set().names)  # every indicator is used by some rule
    hard_gates = [r.id for r in policy.rules if r.hard_gate]
    assert hard_gates == [
        "applicant.sanctions_match_confirmed",
        "partner.sanctions_match_confirmed",
        "partner.owned_by_sanctioned_party",
        "researcher.sanctioned_affiliation_confirmed",
    ]


def test_safeguard_catalogue_covers_domain_measures() -> None:
    catalogue = default_safeguard_catalogue()
    assert catalogue.version == "2026.1"
    ids = [m.id for m in catalogue.measures]
    for measure in (
        "self_assessment_annex",
        "risk_mitigation_plan",
        "agreement_clauses",
        "data_ip_transfer_plan",
        "limited_dissemination",
        "project_security_officer",
        "ethics_requirements",
        "compartmentalisation",
        "export_control_classification",
        "partner_replacement",
        "training",
        "foreign_travel_reporting",
        "suspicious_approach_reporting",
        "collaborator_approval",
        "end_outside_appointments",
        "cyber_baseline",
        "personnel_screening",
    ):
        assert measure in ids
    for measure in catalogue.measures:
        assert measure.tracked_as
        assert measure.sources
        assert measure.description


def test_a_clean_proposal_is_auto_cleared() -> None:
    result = screen(
        from_snapshot(snapshot(partners=[partner("Home Lab", "DE")])), default_policy(), references(CLEAN), TODAY
    )
    assert result.flags == ()
    assert result.level == RiskLevel.low
    assert result.auto_clear is True
    assert result.warnings == ()
    assert result.policy_version == "2026.1"


def test_example_data_warns_and_never_auto_clears() -> None:
    example = load_example_country_profiles(imported_at=IMPORTED_AT)
    result = screen(
        from_snapshot(snapshot(partners=[partner("Home Lab", "DE")])), default_policy(), references(example), TODAY
    )
    assert result.level == RiskLevel.low
    assert result.auto_clear is False
    assert any("example data" in w for w in result.warnings)


def test_illustrative_country_in_a_sensitive_project_needs_safeguards() -> None:
    example = load_example_country_profiles(imported_at=IMPORTED_AT)
    snap = snapshot(
        partners=[partner("Home Lab", "DE"), partner("Far Institute", "BV", shares=["know_how"])],
        answers={"dual_use_items": True, "research_nature": "applied"},
    )
    result = screen(
        from_snapshot(snap),
        default_policy(),
        references(example, classifier=FakeClassifier(areas=[(Area.quantum, 0.9)])),
        TODAY,
    )
    rule_ids = {f.rule_id for f in result.flags}
    assert {
        "country.eu_sanctions_regime",
        "country.civil_military_fusion_strategy",
        "combination.sensitive_domain_and_country_concern",
        "combination.dual_use_with_third_country_partner",
        "domain.dual_use_declared",
    } <= rule_ids
    assert result.level == RiskLevel.very_high
    assert result.auto_clear is False
    assert "export_control_classification" in {s.measure_id for s in result.safeguards}


def test_unknown_country_data_needs_review() -> None:
    example = load_example_country_profiles(imported_at=IMPORTED_AT)
    result = screen(
        from_snapshot(snapshot(partners=[partner("Ice Station", "AQ")])), default_policy(), references(example), TODAY
    )
    gap = next(f for f in result.flags if f.rule_id == "country.data_gap")
    assert gap.level == RiskLevel.medium
    assert "eu_sanctions_regime" in gap.evidence[0].data["missing"]
    assert result.level == RiskLevel.medium


def test_confirmed_sanctions_match_is_a_hard_gate() -> None:
    snap = snapshot(partners=[partner("Far Lab", "DE")])
    matcher = FakeMatcher(hits={"Far Lab": [Hit(score=0.97)]})
    result = screen(from_snapshot(snap), default_policy(), references(CLEAN, matcher=matcher), TODAY)
    gate = next(f for f in result.flags if f.rule_id == "partner.sanctions_match_confirmed")
    assert gate.hard_gate
    assert result.level == RiskLevel.very_high
    assert result.auto_clear is False
    assert "partner_replacement" in {s.measure_id for s in result.safeguards}


def test_talent_programme_in_a_priority_area_escalates() -> None:
    person = researcher(
        talent_programmes=[{"name": "Star Scholars", "sponsor": "Star Agency", "sponsor_country": "JP"}]
    )
    snap = snapshot(researchers=[person], details={"critical_technology_areas": ["artificial_intelligence"]})
    result = screen(from_snapshot(snap), default_policy(), references(CLEAN), TODAY)
    assert {"applicant.talent_programme_participation", "combination.talent_programme_in_sensitive_domain"} <= {
        f.rule_id for f in result.flags
    }
    assert result.level == RiskLevel.high


def test_past_review_date_warns_but_still_applies() -> None:
    result = screen(from_snapshot(snapshot()), default_policy(), references(CLEAN), date(2027, 6, 1))
    assert result.warnings == ("policy 2026.1 is past its review date 2027-05-31",)
    assert result.auto_clear is True
