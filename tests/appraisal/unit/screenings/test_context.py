"""The screening context matches down to the policy's thresholds: a policy's `match_threshold` below the
matcher's own cut-off (0.82) gets the candidates in between, through the real index and engine. The default
policy's threshold is the cut-off itself (0.82), so only a more lenient policy version widens the net."""

from __future__ import annotations

from typing import Any

import pytest

from rsc_appraisal.classification import Classifier
from rsc_appraisal.engine.contracts import ListVersionData
from rsc_appraisal.engine.inputs import from_snapshot, queries
from rsc_appraisal.engine.references import References
from rsc_appraisal.engine.screen import screen
from rsc_appraisal.matching import EntityIndex, MatcherSettings
from rsc_appraisal.policy import Policy, default_policy, policy_document
from rsc_appraisal.screenings.context import MIN_MATCH_THRESHOLD, EngineContext, matcher_settings
from rsc_appraisal.watchlists.importers.demo import load_demo_lists
from tests.appraisal.unit.engine.support import TODAY, neutral, partner, profile_set, snapshot

CUT_OFF = MatcherSettings().threshold  # 0.82
# The English alias of the demo watch list's Cyrillic entry is "Ice Beacon Institute of Applied Cryophysics" (BG);
# this partner name in another country scores about 0.77: below the default policy's (and the matcher's) 0.82,
# above a lenient policy's 0.75.
BAND_PARTNER = "Ice Beacon Institute of Cryophysics"
BAND_ENTRY = "demo-wl-0003"
LENIENT = 0.75


def variant(match_threshold: float, **rule_min_scores: float) -> Policy:
    document: dict[str, Any] = policy_document(default_policy())
    document["version"] = f"test-{match_threshold}"
    document["matching"]["match_threshold"] = match_threshold
    for rule in document["rules"]:
        if rule["id"] in rule_min_scores:
            rule["match"]["min_score"] = rule_min_scores[rule["id"]]
    return Policy.model_validate(document)


@pytest.fixture(scope="module")
def lists() -> list[ListVersionData]:
    return [demo.result.data for demo in load_demo_lists()]


@pytest.fixture(scope="module")
def context(lists: list[ListVersionData]) -> EngineContext:
    """What `build_context` makes of the demo lists under the default policy, without a database."""
    policy = default_policy()
    return EngineContext(
        fingerprint=("test",),
        policy=policy,
        policy_dataset=None,
        countries=profile_set(neutral("FR", "GB", "BG", "DE")),
        classifier=Classifier(),
        index=EntityIndex.build(lists, matcher_settings(policy)),
        list_versions={f"list:{v.list_key}": v.version_label for v in lists},
    )


def band_snapshot():
    return snapshot(partners=[partner(BAND_PARTNER, "GB", identifiers={})])


def run(context: EngineContext, policy: Policy):
    ctx = context.for_policy(policy)
    references = References(
        classify=ctx.classifier.classify,
        classifier_version=ctx.classifier.version,
        match=ctx.index.match,
        list_versions=ctx.list_versions,
        countries=ctx.countries,
    )
    return screen(from_snapshot(band_snapshot()), ctx.policy, references, today=TODAY)


def band_score(lists: list[ListVersionData]) -> float:
    index = EntityIndex.build(lists, MatcherSettings(threshold=0.5))
    [query] = [q for q in _queries() if q.name == BAND_PARTNER]
    [candidate] = [c for c in index.match(query).candidates if c.entry_id == BAND_ENTRY]
    return candidate.score


def _queries():
    return list(queries(from_snapshot(band_snapshot())))


def test_the_lowest_score_a_policy_acts_on() -> None:
    policy = default_policy()
    # the default policy asks for the matcher's calibrated operating point: the cut-off itself
    assert policy.lowest_match_score() == policy.matching.match_threshold == CUT_OFF == 0.82
    assert matcher_settings(policy) == MatcherSettings()
    assert variant(LENIENT).lowest_match_score() == LENIENT
    assert variant(0.8).lowest_match_score() == 0.8
    # a rule's own min_score below the policy threshold counts too
    assert variant(0.8, **{"partner.watchlist_match": 0.7}).lowest_match_score() == 0.7


def test_matcher_settings_lower_the_cut_off_to_the_policy_never_raise_it() -> None:
    assert CUT_OFF == 0.82
    assert matcher_settings(variant(0.77)).threshold == 0.77
    assert matcher_settings(variant(0.9)).threshold == CUT_OFF
    assert matcher_settings(variant(0.9)) == MatcherSettings()
    assert matcher_settings(variant(0.0)).threshold == MIN_MATCH_THRESHOLD
    base = MatcherSettings(threshold=0.7, max_results=3)
    assert matcher_settings(variant(0.75), base) == base
    assert matcher_settings(variant(0.6), base) == MatcherSettings(threshold=0.6, max_results=3)


def test_the_band_partner_scores_between_a_lenient_policy_threshold_and_the_cut_off(lists) -> None:
    assert LENIENT <= band_score(lists) < 0.78 < CUT_OFF
    # the matcher on its own (cut-off 0.82, the default policy's threshold) does not return it
    plain = EntityIndex.build(lists)
    assert not [c for q in _queries() for c in plain.match(q).candidates if c.entry_id == BAND_ENTRY]


def test_a_policy_threshold_below_the_cut_off_yields_the_candidates_in_that_band(context, lists) -> None:
    score = band_score(lists)
    [query] = [q for q in _queries() if q.name == BAND_PARTNER]
    # the context of the active (default) policy: matches down to 0.82 only, the band candidate is not returned
    assert context.index.settings.threshold == CUT_OFF
    assert not context.index.match(query).candidates
    assert not [f for f in run(context, context.policy).flags if f.rule_id == "partner.watchlist_match"]

    # a lenient policy version (0.75) gets it from the same index, and its rule flags it
    lenient = context.for_policy(variant(LENIENT))
    assert [c.entry_id for c in lenient.index.match(query).candidates] == [BAND_ENTRY]
    result = run(context, variant(LENIENT))
    flags = [f for f in result.flags if f.rule_id == "partner.watchlist_match"]
    assert flags, [f.rule_id for f in result.flags]
    [evidence] = flags[0].evidence
    assert evidence.data["entry_id"] == BAND_ENTRY
    assert evidence.data["score"] == score
    # and so does one just below the candidate's score
    assert [f for f in run(context, variant(0.76)).flags if f.rule_id == "partner.watchlist_match"]

    # back under the default policy the candidate is gone again
    assert not [f for f in run(context, default_policy()).flags if f.rule_id == "partner.watchlist_match"]
    assert not context.for_policy(default_policy()).index.match(query).candidates

    # raising the policy threshold above the candidate's score removes it, from the index's answer too
    raised = variant(round(score + 0.01, 2))
    assert raised.matching.match_threshold < CUT_OFF
    assert not [f for f in run(context, raised).flags if f.rule_id == "partner.watchlist_match"]
    assert not context.for_policy(raised).index.match(query).candidates
    # and so does a threshold above the matcher's cut-off (the cut-off is the most the policy can ask for)
    assert not [f for f in run(context, variant(0.9)).flags if f.rule_id == "partner.watchlist_match"]


def test_a_context_for_another_policy_shares_the_index(context) -> None:
    draft = variant(LENIENT)
    derived = context.for_policy(draft)
    assert derived.policy is draft
    assert derived.index is not context.index
    assert derived.index.settings.threshold == LENIENT
    assert context.index.settings.threshold == CUT_OFF, "the active context is unchanged"
    assert derived.index._postings is context.index._postings  # nothing rebuilt or copied
    assert context.for_policy(context.policy) is context
    assert context.for_policy(variant(CUT_OFF)).index is context.index  # same thresholds, same index object
    assert context.for_policy(variant(0.9)).index is context.index  # a stricter policy cannot raise the cut-off
    # and back from the lenient draft to the default's threshold: the derived context's index, not a new one
    assert derived.for_policy(default_policy()).index.settings == context.index.settings
    assert derived.for_policy(default_policy()).index._postings is context.index._postings


def test_a_rule_min_score_below_the_policy_threshold_gets_its_candidates(context) -> None:
    policy = variant(0.85, **{"partner.watchlist_match": 0.76})
    flags = [f for f in run(context, policy).flags if f.rule_id == "partner.watchlist_match"]
    assert [e.data["entry_id"] for f in flags for e in f.evidence] == [BAND_ENTRY]


def test_identical_inputs_give_identical_results_under_a_derived_context(context) -> None:
    assert run(context, variant(0.76)) == run(context, variant(0.76))
