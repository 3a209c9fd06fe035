"""EntityIndex.match: identifiers, names across scripts, hard negatives, qualifiers, explanations, determinism."""

from __future__ import annotations

import dataclasses

import pytest

from rsc_appraisal.engine.contracts import ListKind
from rsc_appraisal.matching import EntityIndex, MatcherSettings
from tests.appraisal.unit.matching.support import entry, ids, query, version

LEI = "529900T8BM49AURSDO55"
OTHER_LEI = "984500ABCDEFGHIJKL12"


@pytest.fixture(scope="module")
def index() -> EntityIndex:
    sanctions = version(
        [
            entry("zentrix", "Zentrix Optik GmbH", countries=("DE",), identifiers={"lei": LEI}),
            entry("kelvaro-phot", "Kelvaro Photonics Ltd", countries=("GB",)),
            entry(
                "mgtu", "Московский государственный технический университет", schema="Organization", countries=("RU",)
            ),
            entry("lanhe", "兰河科技有限公司", countries=("CN",)),
            entry("samira", "جامعة سميرة", schema="Organization", countries=("EG",)),
            entry("kyulkeuk", "큘큭공과대학교", schema="Organization", countries=("KR",)),
            entry("karina", "カリナ株式会社", countries=("JP",)),
            entry(
                "phys-valdoria",
                "Faculty of Physics, Valdoria State University",
                schema="Organization",
                countries=("XV",),
                identifiers={"ror": "05abc1234"},
            ),
            entry(
                "vipt", "Valdoria Institute of Physics and Technology (VIPT)", schema="Organization", countries=("XV",)
            ),
            entry(
                "drosk",
                "Droskar Aerospace Systems",
                countries=("FR",),
                identifiers={"pic": "999123456"},
                weak_aliases=("Droskar",),
            ),
            entry("ivanov", "Ivan Petrovich Ivanov", schema="Person"),
            entry("tanker", "Ocean Kelvaro", schema="Vessel"),
        ]
    )
    export = version(
        [entry("zentrix-x", "Zentrix Optik Gesellschaft mit beschränkter Haftung", countries=("DE",))],
        key="test-export",
        kind=ListKind.export_control,
    )
    return EntityIndex.build([sanctions, export])


# --------------------------------------------------------------------------------- identifiers


def test_exact_identifier_outranks_any_name(index: EntityIndex) -> None:
    result = index.match(query("Completely Different Holding", lei=LEI.lower()))
    assert ids(result) == ["zentrix"]
    top = result.candidates[0]
    assert top.identifier_match
    assert top.score == 1.0
    assert ("identifier.lei", 1.0) in [(f.feature, f.score) for f in top.features]


def test_ror_url_and_pic_match(index: EntityIndex) -> None:
    assert ids(index.match(query("Something", ror="https://ror.org/05ABC1234"))) == ["phys-valdoria"]
    result = index.match(query("Unrelated Name", pic="999 123 456"))
    assert ids(result) == ["drosk"]
    assert result.candidates[0].score == pytest.approx(0.98)


def test_identifier_match_ranks_above_name_matches(index: EntityIndex) -> None:
    # both score 1.0 ("zentrix-x": the same name on another list, no identifier); the identifier match comes first
    result = index.match(query("Zentrix Optik GmbH", lei=LEI))
    assert ids(result) == ["zentrix", "zentrix-x"]
    assert [c.identifier_match for c in result.candidates] == [True, False]
    assert [c.score for c in result.candidates] == [1.0, 1.0]


def test_different_identifier_of_the_same_scheme_is_negative_evidence(index: EntityIndex) -> None:
    result = index.match(query("Zentrix Optik GmbH", lei=OTHER_LEI))
    assert "zentrix" not in ids(result)  # 1.0 - 0.3: below the threshold
    low = index.with_settings(MatcherSettings(threshold=0.5)).match(query("Zentrix Optik GmbH", lei=OTHER_LEI))
    candidate = next(c for c in low.candidates if c.entry_id == "zentrix")
    assert candidate.score == pytest.approx(0.7)
    mismatch = next(f for f in candidate.features if f.feature == "identifier.lei.mismatch")
    assert mismatch.score == pytest.approx(-0.3)
    assert OTHER_LEI in mismatch.detail
    # an identifier the entry does not carry is no evidence either way
    assert "zentrix-x" in ids(result)


# -------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Zentrix Optik", "zentrix"),  # legal form dropped
        ("ZENTRIX OPTIK Gesellschaft mit beschränkter Haftung", "zentrix"),  # spelt out
        ("Zentrix Optic GmbH", "zentrix"),  # typo
        ("Kelvaro Photonic Limited", "kelvaro-phot"),
        ("Moskovskiy Gosudarstvennyy Tekhnicheskiy Universitet", "mgtu"),  # BGN romanisation
        ("Moskowskij gossudarstwennyj technitscheskij uniwersitet", "mgtu"),  # German romanisation
        ("Lanhe Keji Youxian Gongsi", "lanhe"),  # pinyin, written in words
        ("Jamiat Samira", "samira"),  # vowelled romanisation of an abjad name
        ("Kyulkeuk Gonggwa Daehakgyo", "kyulkeuk"),  # Revised Romanization vs ICU's letter-by-letter
        ("Karina K.K.", "karina"),  # Hepburn
        ("Valdoria State Univ., Fac. of Physics", "phys-valdoria"),  # abbreviated and reordered
        ("VIPT", "vipt"),  # the acronym the list gives in brackets
        ("Valdoria Inst. of Physics & Tech.", "vipt"),
    ],
)
def test_name_variants_are_found(index: EntityIndex, name: str, expected: str) -> None:
    assert expected in ids(index.match(query(name)))


@pytest.mark.parametrize(
    "name",
    [
        "Faculty of Chemistry, Valdoria State University",  # a sibling faculty
        "Zentrix Optik AG",  # same name, a legal form of another class
        "Kelvaro Robotics Ltd",  # same brand, another sector
        "Kelvaro Bakery",  # a rare token shared with an unrelated organisation
        "Ivan Petrovich Ivanov",  # persons are never matched
        "Ocean Kelvaro",  # nor vessels
        "Valdoria",  # a single place name
        "VIPS",  # a similar acronym is another acronym
    ],
)
def test_hard_negatives_stay_below_the_threshold(index: EntityIndex, name: str) -> None:
    assert ids(index.match(query(name))) == []


def test_legal_form_conflict_is_explained(index: EntityIndex) -> None:
    low = index.with_settings(MatcherSettings(threshold=0.5))
    candidate = next(c for c in low.match(query("Zentrix Optik AG")).candidates if c.entry_id == "zentrix")
    assert candidate.score == pytest.approx(0.8)
    assert [f.feature for f in candidate.features] == ["name.exact", "legal_form.mismatch"]


def test_country_is_a_qualifier_only(index: EntityIndex) -> None:
    same = index.match(query("Zentrix Optik GmbH", countries=("DE",)))
    other = index.match(query("Zentrix Optik GmbH", countries=("FR",)))
    score = {c.entry_id: c.score for c in same.candidates}["zentrix"]
    lowered = next(c for c in other.candidates if c.entry_id == "zentrix")
    assert score == 1.0
    assert lowered.score == pytest.approx(0.9)
    assert any(f.feature == "country.mismatch" and f.score == pytest.approx(-0.1) for f in lowered.features)
    # a matching country alone is no evidence
    assert ids(index.match(query("Nordic Bakery Supplies", countries=("DE",)))) == []


def test_weak_alias_is_capped(index: EntityIndex) -> None:
    result = index.match(query("Droskar"))
    candidate = next(c for c in result.candidates if c.entry_id == "drosk")
    assert candidate.score == pytest.approx(0.85)
    assert candidate.matched_name == "Droskar"


def test_every_candidate_is_explained(index: EntityIndex) -> None:
    result = index.match(query("Moskovskiy Gosudarstvennyy Tekhnicheskiy Universitet", countries=("RU",)))
    candidate = result.candidates[0]
    assert candidate.entry_caption == "Московский государственный технический университет"
    assert candidate.matched_name == candidate.entry_caption
    assert candidate.query_name == "Moskovskiy Gosudarstvennyy Tekhnicheskiy Universitet"
    features = {f.feature: f for f in candidate.features}
    assert set(features) == {"name.tokens", "name.fuzzy"}
    assert "moskovskiy~moskovsky" in features["name.tokens"].detail
    assert candidate.list_key == "test-list"
    assert candidate.list_version == "v1"
    assert candidate.list_kind == ListKind.sanctions
    assert candidate.query_ref == "partner:test"


def test_one_candidate_per_list_entry_best_first(index: EntityIndex) -> None:
    result = index.match(query("Zentrix Optik GmbH", "Zentrix Optik"))
    keys = [(c.list_key, c.entry_id) for c in result.candidates]
    assert len(keys) == len(set(keys))
    assert keys == [("test-export", "zentrix-x"), ("test-list", "zentrix")]  # equal scores: by list key
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_aliases_of_the_query_are_matched(index: EntityIndex) -> None:
    assert "kelvaro-phot" in ids(index.match(query("KP Holdings", "Kelvaro Photonics")))


# ------------------------------------------------------------------------------ configuration


def test_threshold_and_limits_are_configurable(index: EntityIndex) -> None:
    name = query("Zentrix Optik AG")
    assert ids(index.match(name)) == []
    assert "zentrix" in ids(index.with_settings(dataclasses.replace(index.settings, threshold=0.75)).match(name))
    strict = index.with_settings(dataclasses.replace(index.settings, threshold=1.0))
    assert ids(strict.match(query("Zentrix Optic GmbH"))) == []
    one = index.with_settings(dataclasses.replace(index.settings, max_results=1))
    assert len(one.match(query("Zentrix Optik GmbH")).candidates) == 1
    assert index.with_settings(MatcherSettings(legal_form_mismatch_penalty=0.0)).match(name).candidates[0].score == 1.0


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="threshold"):
        MatcherSettings(threshold=0)
    with pytest.raises(ValueError, match="positive"):
        MatcherSettings(candidate_limit=0)


# ------------------------------------------------------------------------------- determinism


def test_same_data_and_query_give_the_same_result(index: EntityIndex) -> None:
    queries = [query("Zentrix Optik"), query("Lanhe Keji"), query("Valdoria State University"), query("VIPT")]
    first = [index.match(q).model_dump() for q in queries]
    rebuilt = EntityIndex.build(index._lists)
    assert [rebuilt.match(q).model_dump() for q in queries] == first
    assert [index.match(q).model_dump() for q in queries] == first


def test_stats(index: EntityIndex) -> None:
    stats = index.stats()
    assert stats.lists == 2
    assert stats.entries == 11  # the person and the vessel are not indexed
    assert stats.names >= stats.entries
    assert stats.identifiers == 3
