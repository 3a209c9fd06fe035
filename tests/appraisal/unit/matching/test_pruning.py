"""Speed-ups that must not change results: the token-alignment bound that prunes comparisons, batched candidate
names, caches (query normalisation, fuzzy neighbours), the merged-runs unique and the fast transliteration."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from rigour.text import ascii_text

from bench.entity_data import generate
from rsc_appraisal.matching import EntityIndex, MatcherSettings
from rsc_appraisal.matching.index import _unique_counts
from rsc_appraisal.matching.normalise import _ascii_run, _normalise_cached, normalise_name, normalise_names
from rsc_appraisal.matching.scoring import NameScorer
from tests.appraisal.unit.matching.support import entry, query, version


@pytest.fixture(scope="module")
def data():
    return generate(5_000, per_kind=12, unlisted=150)


@pytest.fixture(scope="module")
def index(data) -> EntityIndex:
    return EntityIndex.build(data.lists)


def _queries(data) -> list:
    named = [lq.query for lq in data.queries]
    unlisted = [query(name, countries=(country,)) for name, country in data.unlisted]
    return named + unlisted


def _scorer(index: EntityIndex, settings: MatcherSettings | None = None) -> NameScorer:
    return NameScorer(index._weight_of, settings or index.settings, index._name_weights, index._n_names)


def _results(index: EntityIndex, queries: list) -> list:
    return [index.match(q).model_dump() for q in queries]


# ------------------------------------------------------------------------------------- bound


def test_token_bound_is_never_below_the_alignment(index: EntityIndex, data) -> None:
    """For every blocked candidate of every generated query (names in all scripts, typos, transliterations,
    abbreviations, unlisted names), the bound is at least the alignment `compare` computes."""
    pairs = pruned = 0
    for q in _queries(data):
        qnames = normalise_names([q.name, *q.aliases])
        if not qnames:
            continue
        names = [name for name, _, _ in index._names(index._block(qnames))]
        scorer = _scorer(index)
        for qn in qnames:
            bounds = scorer.token_bounds(qn, names)
            for name, bound in zip(names, bounds.tolist(), strict=True):
                comparison = scorer.compare(qn, name)
                assert bound >= comparison.tokens - 1e-9, (qn.key, name.key, bound, comparison.tokens)
                pairs += 1
                pruned += 0.8 * bound + 0.2 < index.settings.threshold
    assert pairs > 5_000
    assert pruned > pairs / 3  # and it prunes a good share of them


@pytest.mark.parametrize(
    ("query_name", "candidate_name"),
    [
        ("Valdoria State Univ. Fac. of Physics", "Faculty of Physics, Valdoria State University"),  # truncations
        ("Valdoria Natl. Depto. de Fisica", "Valdoria National Departamento de Fisica"),  # contractions
        ("Tsentr Yadernykh Issledovaniy", "Centr Jadernych Issledovanij"),  # transliteration fold
        ("Jamiat al-Qahira", "جامعة القاهرة"),  # consonant skeletons (Latin vs Arabic script)
        ("Zentrix Optic", "Zentrix Optik"),  # typo
        ("Kelvaro Photonics", "Kelvaro Photonics"),  # equal
        ("Drosk", "Droskar Aerospace Systems"),  # one short word
    ],
)
def test_token_bound_on_hand_made_pairs(query_name: str, candidate_name: str) -> None:
    index = EntityIndex.build([version([entry("x", candidate_name), entry("y", "Kelvaro Bakery")])])
    scorer = _scorer(index)
    q, c = normalise_name(query_name), normalise_name(candidate_name)
    bound = scorer.token_bounds(q, [c])[0]
    assert bound >= scorer.compare(q, c).tokens - 1e-9


def test_pairs_the_bound_does_not_cover_get_one() -> None:
    index = EntityIndex.build([version([entry("x", "兰河科技有限公司"), entry("y", "Gaz Prom Neft")])])
    scorer = _scorer(index)
    han, split = normalise_name("兰河科技有限公司"), normalise_name("Gaz Prom Neft")
    # a CJK candidate (syllables are aligned joined), a CJK query, words written together on one side
    assert scorer.token_bounds(normalise_name("Lanhe Keji"), [han]).tolist() == [1.0]
    assert scorer.token_bounds(han, [split]).tolist() == [1.0]
    assert scorer.token_bounds(normalise_name("Gazprom Neft"), [split]).tolist() == [1.0]
    # an unrelated name is bounded low
    assert scorer.token_bounds(normalise_name("Kelvaro Bakery Supplies"), [split])[0] < 0.5


def test_pruning_changes_no_result(index: EntityIndex, data) -> None:
    """Same candidates, scores, order and explanations with and without pruning, at the default threshold and at a
    low one (where fewer pairs are pruned)."""
    queries = _queries(data)
    for settings in (index.settings, dataclasses.replace(index.settings, threshold=0.7, max_results=50)):
        pruned = index.with_settings(settings)
        full = index.with_settings(dataclasses.replace(settings, prune_by_bound=False))
        assert _results(pruned, queries) == _results(full, queries)


def test_pruning_keeps_identifier_and_acronym_explanations() -> None:
    lei = "529900T8BM49AURSDO55"
    index = EntityIndex.build(
        [
            version(
                [
                    entry("z", "Zentrix Optik GmbH", identifiers={"lei": lei}),
                    entry("v", "Valdoria Institute of Physics and Technology"),
                ]
            )
        ]
    )
    for settings in (MatcherSettings(), MatcherSettings(prune_by_bound=False)):
        by_id = index.with_settings(settings).match(query("Completely Different Holding", lei=lei)).candidates[0]
        assert by_id.entry_id == "z"
        assert {f.feature for f in by_id.features} >= {"identifier.lei", "name.tokens"}
        acronym = index.with_settings(settings).match(query("VIPT")).candidates[0]
        assert acronym.entry_id == "v"
        assert acronym.features[0].feature == "name.acronym"


# --------------------------------------------------------------------------------- helpers


def test_batched_names_equal_single_names(index: EntityIndex) -> None:
    ids = np.arange(0, index.stats().names, 7, dtype=np.int32)
    batch = index._names(ids)
    assert [name for name, _, _ in batch] == [index._name(int(nid)) for nid in ids]
    assert [eidx for _, eidx, _ in batch] == index._name_entry[ids].tolist()


def test_unique_counts_of_sorted_runs() -> None:
    rng = np.random.default_rng(3)
    runs = [np.unique(rng.integers(0, 500, size=size)).astype(np.int32) for size in (0, 1, 40, 300, 300)]
    uniq, counts = _unique_counts(runs)
    expected = np.unique(np.concatenate(runs), return_counts=True)
    assert np.array_equal(uniq, expected[0])
    assert np.array_equal(counts, expected[1])
    assert _unique_counts([runs[2]])[0] is runs[2]
    empty, none = _unique_counts([runs[0], runs[0]])
    assert len(empty) == len(none) == 0


def test_fuzzy_neighbours_are_cached_per_settings(index: EntityIndex, data) -> None:
    token = "zentrixx"
    first = index._fuzzy_tokens(token)
    assert index._fuzzy_tokens(token) is first
    assert index._find_fuzzy_tokens(token) == first
    fewer = index.with_settings(dataclasses.replace(index.settings, fuzzy_neighbours=1))
    assert fewer._fuzzy_tokens(token) == first[:1]


def test_query_normalisation_is_cached() -> None:
    name = "Zentrix Optik GmbH (ZO)"
    first = normalise_names([name])
    hits = _normalise_cached.cache_info().hits
    assert normalise_names([name]) == first
    assert _normalise_cached.cache_info().hits == hits + 2  # the name and its bracketed part
    assert [n.original for n in first] == [name, name]
    assert first[0].tokens == normalise_name("Zentrix Optik GmbH").tokens


@pytest.mark.parametrize(
    "word",
    [
        "московский",
        "всероссийский",  # -ий inside a word is "ii", at the end "y"
        "российская",
        "новый",
        "выйти",
        "объединённый",
        "щёлково",
        "київський",  # Ukrainian: rigour's own rules
        "έλεγχος",  # γχ: "nch"
        "ευαγγελία",
        "μπαλτάς",
        "ντίνος",
        "πολυτεχνείο",
        "ηύρα",  # υ after η
        "προϋπόθεση",  # diaeresis
        "غرفة",  # not transliterated by rigour itself: normality, as rigour does
        "北京",
        "ø",
    ],
)
def test_fast_transliteration_equals_rigour(word: str) -> None:
    clean = "".join(ch for ch in ascii_text(word).lower() if ch.isalnum())
    assert "".join(ch for ch in _ascii_run(word) if ch.isalnum()) == clean
