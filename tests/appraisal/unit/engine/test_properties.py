"""Property tests: determinism, monotonicity, country-agnosticism, and name invariance."""

from __future__ import annotations

import copy
import re
from typing import Any

import pycountry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsc_appraisal.engine import aggregate
from rsc_appraisal.engine.contracts import RISK_ORDER, Evidence, FactorCategory, Flag, ScreeningResult, level_rank
from rsc_appraisal.engine.inputs import from_snapshot
from rsc_appraisal.engine.screen import screen
from rsc_appraisal.policy import Policy, default_policy, policy_document
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory, PartnerType, SharedResource
from tests.appraisal.unit.engine.support import (
    NEUTRAL,
    TODAY,
    FakeClassifier,
    FakeMatcher,
    Hit,
    partner,
    profile_set,
    references,
    researcher,
    snapshot,
)

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
POLICY = default_policy()
POOL = ["FR", "DE", "JP"]  # neutral countries
TOKENS = ["@1", "@2"]  # stand-ins for the two countries under test
ORG_NAMES = ["Alpha Lab", "Beta Corp", "Gamma Institute", "Delta Fund", "Epsilon Agency", "Zeta Holding"]
RISK_ANSWERS = [
    "dual_use_items",
    "military_end_use",
    "classified_information",
    "misuse_potential",
    "human_rights_misuse",
]
RISKY_BOOLEANS = {  # the value of each boolean indicator that raises concern
    "eu_member_state": False,
    "eu_sanctions_regime": True,
    "un_sanctions_regime": True,
    "arms_embargo": True,
    "civil_military_fusion_strategy": True,
    "state_compulsion_law": True,
    "eu_adequacy_decision": False,
    "named_in_state_threat_assessment": True,
}
SCORES = ["rule_of_law_index", "academic_freedom_index", "human_rights_protection_index"]


# --------------------------------------------------------------------------------------- strategies

score = st.integers(0, 100).map(lambda n: n / 100)
indicator_values = st.fixed_dictionaries(
    {**{name: st.booleans() for name in RISKY_BOOLEANS}, **{name: score for name in SCORES}}
)


def countries(with_tokens: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(POOL + TOKENS if with_tokens else POOL)


@st.composite
def proposals(draw: st.DrawFn, with_tokens: bool = False) -> dict[str, Any]:
    country = countries(with_tokens)
    names = draw(st.lists(st.sampled_from(ORG_NAMES), unique=True, max_size=3))
    partners = [
        partner(
            name,
            draw(country),
            partner_type=draw(st.sampled_from(list(PartnerType))).value,
            shares=draw(st.lists(st.sampled_from([s.value for s in SharedResource]), unique=True, max_size=2)),
            ownership_control_countries=draw(st.lists(country, unique=True, max_size=2)),
            owners_and_controllers=[
                {"name": owner, "country": draw(country), "kind": "shareholder"}
                for owner in draw(st.lists(st.sampled_from(["Zeta Holding", "Eta Board"]), unique=True, max_size=1))
            ],
            declared_end_use=draw(st.sampled_from(["", "Publication."])),
        )
        for name in names
    ]
    person = researcher(
        "Dana Researcher",
        current_appointments=[
            {"organisation": draw(st.sampled_from(ORG_NAMES)), "country": draw(country), "position": "Adjunct"}
            for _ in range(draw(st.integers(0, 1)))
        ],
        talent_programmes=[
            {"name": "Star Scholars", "sponsor": "Epsilon Agency", "sponsor_country": draw(country)}
            for _ in range(draw(st.integers(0, 1)))
        ],
        outside_support=[
            {"source": "Delta Fund", "country": draw(country), "kind": "funding"}
            for _ in range(draw(st.integers(0, 1)))
        ],
    )
    return {
        "partners": partners,
        "researchers": [person],
        "answers": {key: draw(st.booleans()) for key in RISK_ANSWERS},
        "details": {
            "critical_technology_areas": draw(
                st.lists(st.sampled_from([a.value for a in CriticalTechnologyArea]), unique=True, max_size=2)
            ),
            "data_management": {
                "sensitive_personal_data": draw(st.booleans()),
                "large_or_aggregated_datasets": draw(st.booleans()),
            },
        },
        "org": {
            "security_policy_in_place": draw(st.sampled_from([True, False, None])),
            "dual_use_compliance_programme": draw(st.sampled_from([True, False, None])),
            "largest_non_eu_funders": [
                {"name": "Delta Fund", "country": draw(country), "share_percent": f"{draw(st.integers(0, 60))}.00"}
                for _ in range(draw(st.integers(0, 1)))
            ],
            "foreign_ownership": {
                "owned_or_controlled_from_abroad": draw(st.booleans()),
                "countries": draw(st.lists(country, unique=True, max_size=1)),
            },
        },
    }


hits = st.builds(
    Hit,
    list_key=st.sampled_from(["eu-sanctions", "watch"]),
    kind=st.sampled_from(["sanctions", "export_control", "watchlist"]),
    score=score,
    identifier_match=st.booleans(),
    controlled_by=st.sampled_from([None, "Listed Parent"]),
)
matchers = st.dictionaries(st.sampled_from(ORG_NAMES), st.lists(hits, max_size=2), max_size=3)
classifiers = st.builds(
    FakeClassifier,
    areas=st.lists(st.tuples(st.sampled_from(list(CriticalTechnologyArea)), score), max_size=2),
    dual_use=st.lists(st.tuples(st.sampled_from(list(DualUseCategory)), score), max_size=1),
    undeclared=st.lists(st.sampled_from(list(CriticalTechnologyArea)), max_size=1, unique=True),
)
pool_profiles = st.fixed_dictionaries({c: indicator_values for c in POOL})


def run(
    proposal: dict[str, Any],
    profiles: dict[str, Any],
    hit_map: dict[str, Any],
    classifier: FakeClassifier,
    policy: Policy = POLICY,
) -> ScreeningResult:
    refs = references(profile_set(profiles), classifier=classifier, matcher=FakeMatcher(hits=hit_map))
    return screen(from_snapshot(snapshot(**copy.deepcopy(proposal))), policy, refs, TODAY)


def levels(result: ScreeningResult) -> list[int]:
    return [level_rank(result.level)] + [level_rank(c.level) for c in result.categories]


def assert_not_lower(before: ScreeningResult, after: ScreeningResult) -> None:
    assert all(b <= a for b, a in zip(levels(before), levels(after), strict=True)), (levels(before), levels(after))
    assert not (after.auto_clear and not before.auto_clear)
    assert {f.rule_id for f in before.flags} <= {f.rule_id for f in after.flags}


# ---------------------------------------------------------------------------------------- determinism


@PROPERTY_SETTINGS
@given(proposals(), pool_profiles, matchers, classifiers)
def test_same_inputs_give_identical_results(proposal, profiles, hit_map, classifier) -> None:
    first = run(proposal, profiles, hit_map, classifier)
    reloaded = Policy.model_validate(policy_document(POLICY))
    second = run(proposal, copy.deepcopy(profiles), copy.deepcopy(hit_map), copy.deepcopy(classifier), reloaded)
    assert first.model_dump_json() == second.model_dump_json()  # same order, same hash, same everything
    assert [f.rule_id for f in first.flags] == [f.rule_id for f in second.flags]


# --------------------------------------------------------------------------------------- monotonicity


@st.composite
def additions(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["partner", "hit", "answer", "indicator", "area", "talent", "no_policy"]))
    if kind == "partner":
        return kind, partner("Theta Labs", draw(st.sampled_from(POOL)), partner_type="military_or_defence_affiliated")
    if kind == "hit":
        return kind, (draw(st.sampled_from([*ORG_NAMES, "Theta Labs"])), draw(hits))
    if kind == "answer":
        return kind, draw(st.sampled_from(RISK_ANSWERS))
    if kind == "indicator":
        return kind, (draw(st.sampled_from(POOL)), draw(st.sampled_from(list(RISKY_BOOLEANS) + SCORES)), draw(score))
    if kind == "area":
        return kind, (draw(st.sampled_from(list(CriticalTechnologyArea))), draw(score))
    return kind, None


def add(proposal, profiles, hit_map, classifier, addition):
    proposal, profiles, hit_map = copy.deepcopy(proposal), copy.deepcopy(profiles), copy.deepcopy(hit_map)
    kind, value = addition
    if kind == "partner":  # a new partner (a fresh name each time)
        name = f"{value['name']} {len(proposal['partners'])}"
        value = partner(name, value["country"], partner_type=value["partner_type"])
        proposal["partners"] = [*proposal["partners"], value]
    elif kind == "hit":
        name, hit = value
        hit_map[name] = [*hit_map.get(name, []), hit]
    elif kind == "answer":
        proposal["answers"][value] = True
    elif kind == "indicator":
        country, name, new_score = value
        if name in RISKY_BOOLEANS:
            profiles[country][name] = RISKY_BOOLEANS[name]
        else:
            profiles[country][name] = min(profiles[country][name], new_score)  # a lower score is a worse one
    elif kind == "area":
        classifier = FakeClassifier(
            areas=[*classifier.areas, value], dual_use=classifier.dual_use, undeclared=classifier.undeclared
        )
    elif kind == "talent":
        proposal["researchers"][0]["talent_programmes"] = [
            *proposal["researchers"][0]["talent_programmes"],
            {"name": "New Talents", "sponsor": "Iota Agency", "sponsor_country": "JP"},
        ]
    else:
        if proposal["org"]["security_policy_in_place"] is True:
            proposal["org"]["security_policy_in_place"] = False
    return proposal, profiles, hit_map, classifier


@PROPERTY_SETTINGS
@given(proposals(), pool_profiles, matchers, classifiers, st.lists(additions(), min_size=1, max_size=3))
def test_adding_a_triggering_fact_never_lowers_a_level(proposal, profiles, hit_map, classifier, steps) -> None:
    before = run(proposal, profiles, hit_map, classifier)
    for step in steps:
        proposal, profiles, hit_map, classifier = add(proposal, profiles, hit_map, classifier, step)
        after = run(proposal, profiles, hit_map, classifier)
        assert_not_lower(before, after)
        before = after


rule_ids = [r.id for r in POLICY.rules]
flags = st.builds(
    Flag,
    rule_id=st.sampled_from(rule_ids),
    category=st.sampled_from(list(FactorCategory)),
    title=st.just("flag"),
    level=st.sampled_from(RISK_ORDER),
    weight=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]),
    hard_gate=st.booleans(),
    subject=st.sampled_from(["proposal", "applicant", "partner:x"]),
    evidence=st.just((Evidence(kind="test", detail="test"),)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(flags, max_size=8), flags, st.booleans())
def test_adding_a_flag_never_lowers_aggregated_levels(existing, extra, example_data) -> None:
    def outcome(flag_list):
        categories = aggregate.categories(flag_list, POLICY)
        level = aggregate.overall_level(categories, flag_list, POLICY)
        clear = aggregate.auto_clear(level, flag_list, POLICY, example_data=example_data)
        return [level_rank(level)] + [level_rank(c.level) for c in categories], [c.score for c in categories], clear

    before_levels, before_scores, before_clear = outcome(existing)
    after_levels, after_scores, after_clear = outcome([*existing, extra])
    assert all(b <= a for b, a in zip(before_levels, after_levels, strict=True))
    assert all(b <= a for b, a in zip(before_scores, after_scores, strict=True))
    assert not (after_clear and not before_clear)


# ---------------------------------------------------------------------------------- country-agnostic

ALL_CODES = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in POOL)


def substitute(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, mapping) for k, v in value.items()}
    return value


def _tokenise(value: Any, codes: dict[str, str], key: str = "") -> Any:
    """Country codes -> the tokens they stand for: whole values anywhere, words in evidence details."""
    if isinstance(value, dict):
        return {k: _tokenise(v, codes, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_tokenise(v, codes, key) for v in value]
    if isinstance(value, str):
        if value in codes:
            return codes[value]
        if key == "detail":
            for code, token in codes.items():
                value = re.sub(rf"(?<![A-Za-z]){code}(?![A-Za-z])", token, value)
    return value


def projection(result: ScreeningResult, codes: dict[str, str]) -> dict[str, Any]:
    """The whole result (but the input hash: the input does contain the codes), codes replaced by tokens."""
    return _tokenise(result.model_dump(mode="json", exclude={"input_hash"}), codes)


@PROPERTY_SETTINGS
@given(
    proposals(with_tokens=True),
    pool_profiles,
    st.lists(st.sampled_from(ALL_CODES), min_size=2, max_size=2, unique=True),
    indicator_values,
    indicator_values,
    matchers,
    classifiers,
)
def test_swapping_country_codes_with_their_data_changes_nothing(
    proposal, profiles, codes, first_values, second_values, hit_map, classifier
) -> None:
    a, b = codes
    straight = run(
        substitute(proposal, {"@1": a, "@2": b}), {**profiles, a: first_values, b: second_values}, hit_map, classifier
    )
    swapped = run(
        substitute(proposal, {"@1": b, "@2": a}), {**profiles, b: first_values, a: second_values}, hit_map, classifier
    )
    assert projection(straight, {a: "@1", b: "@2"}) == projection(swapped, {b: "@1", a: "@2"})


@PROPERTY_SETTINGS
@given(
    proposals(with_tokens=True),
    pool_profiles,
    st.lists(st.sampled_from(ALL_CODES), min_size=3, max_size=3, unique=True),
    indicator_values,
    matchers,
    classifiers,
)
def test_two_countries_with_identical_data_give_identical_results(
    proposal, profiles, codes, values, hit_map, classifier
) -> None:
    a, b, other = codes
    shared = {**profiles, a: values, b: values, other: dict(NEUTRAL)}
    with_a = run(substitute(proposal, {"@1": a, "@2": other}), shared, hit_map, classifier)
    with_b = run(substitute(proposal, {"@1": b, "@2": other}), shared, hit_map, classifier)
    assert projection(with_a, {a: "@1"}) == projection(with_b, {b: "@1"})


# --------------------------------------------------------------------------------- name invariance


@PROPERTY_SETTINGS
@given(
    proposals(),
    pool_profiles,
    matchers,
    classifiers,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40).filter(str.strip),
    st.sampled_from([None, "0000-0001-5109-3700", "0000-0002-1694-233X"]),
)
def test_a_researchers_name_never_changes_the_result(proposal, profiles, hit_map, classifier, name, orcid) -> None:
    renamed = copy.deepcopy(proposal)
    renamed["researchers"][0]["full_name"] = name
    renamed["researchers"][0]["orcid"] = orcid
    original = run(proposal, profiles, hit_map, classifier)
    assert run(renamed, profiles, hit_map, classifier).model_dump_json() == original.model_dump_json()
