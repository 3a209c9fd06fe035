"""Name normalisation: scripts, legal forms, stop words, abbreviations; identifiers."""

from __future__ import annotations

import pytest

from rsc_appraisal.matching import normalise_identifier, normalise_name, normalise_names
from rsc_appraisal.matching.normalise import fold, skeleton, split_bracketed


def tokens(name: str) -> tuple[str, ...]:
    return normalise_name(name).tokens


@pytest.mark.parametrize(
    ("variants", "legal"),
    [
        (
            ["Zentrix Optik GmbH", "ZENTRIX OPTIK Gesellschaft mit beschränkter Haftung", "Zentrix Optik Ges.m.b.H."],
            "llc",
        ),
        (["Zentrix Optik AG", "Zentrix Optik Aktiengesellschaft"], "jsc"),
        (
            ["Kelvaro Ltd", "Kelvaro Limited", "Kelvaro LLC", "Kelvaro L.L.C.", "Kelvaro Limited Liability Company"],
            "llc",
        ),
        (["Kelvaro JSC", "Kelvaro Joint Stock Company", "Kelvaro PJSC"], "jsc"),
        (["Kelvaro S.A.", "Kelvaro SA", "Kelvaro Société anonyme"], "jsc"),
        (["ООО «Ромашка»", "Общество с ограниченной ответственностью Ромашка", "Romashka OOO"], "llc"),
        (["АО Ромашка", "Акционерное общество «Ромашка»", "ПАО Ромашка"], "jsc"),
    ],
)
def test_legal_forms_normalise_to_one_key_and_class(variants: list[str], legal: str) -> None:
    normalised = [normalise_name(v) for v in variants]
    assert len({n.tokens for n in normalised}) == 1, [n.tokens for n in normalised]
    assert all(legal in n.legal_forms for n in normalised)


def test_co_ltd_is_compatible_with_both_classes() -> None:
    # "Co., Ltd." renders 股份有限公司 / 株式会社 / 주식회사 as well as 有限公司 in English
    assert normalise_name("Lanhe Technology Co., Ltd.").legal_forms >= {"llc", "jsc"}
    assert tokens("Lanhe Technology Co., Ltd.") == tokens("Lanhe Technology Company Limited") == ("lanhe", "technology")


def test_legal_form_alone_is_kept_as_the_name() -> None:
    assert tokens("Limited") == ("limited",)


def test_cyrillic_and_greek_are_transliterated() -> None:
    assert tokens("Московский государственный университет") == ("moskovsky", "gosudarstvenny", "universitet")
    assert tokens("Εθνικό Μετσόβιο Πολυτεχνείο") == ("ethniko", "metsovio", "polytechneio")


def test_han_becomes_one_token_per_syllable() -> None:
    name = normalise_name("兰河科技有限公司")
    assert name.tokens == ("lan", "he", "ke", "ji")
    assert name.syllabic
    assert name.han
    assert name.legal_forms == frozenset({"llc"})


def test_kana_and_hangul_become_syllables() -> None:
    kana = normalise_name("カリナ株式会社")
    assert kana.tokens == ("ka", "ri", "na")
    assert kana.syllabic
    assert not kana.han
    assert kana.legal_forms == frozenset({"jsc"})
    assert normalise_name("ニパンユン").tokens == ("ni", "pan", "yun")  # the moraic n closes a syllable
    hangul = normalise_name("서울대학교")
    assert hangul.tokens == ("seo", "ul", "dae", "hag", "gyo")
    assert hangul.syllabic


def test_pinyin_syllables_are_never_stop_words() -> None:
    # "bei" (German) and "da" (Italian) are stop words in Latin text, not in Chinese
    assert tokens("北京大学")[:2] == ("bei", "jing")
    assert "da" in tokens("北京大学")


def test_arabic_is_transliterated_and_flagged() -> None:
    name = normalise_name("جامعة القاهرة")
    assert name.abjad
    assert name.tokens == ("jamt", "qahrt")
    assert skeleton("qahira") == skeleton("qahrt") == "qhr"


def test_stop_words_in_several_languages_are_dropped() -> None:
    assert tokens("The University of Valdoria") == ("university", "valdoria")
    assert tokens("Institut für Physik der Universität Valdoria") == ("institut", "physik", "universitat", "valdoria")
    assert tokens("Université de la Méditerranée") == ("universite", "mediterranee")


def test_casefold_punctuation_and_contractions() -> None:
    assert tokens("NATL. INST. OF ADV. MATERIALS") == ("national", "inst", "adv", "materials")
    assert tokens("Gaz-Prom") == ("gaz", "prom")
    assert tokens("Straße") == tokens("STRASSE")


def test_trailing_company_designations_are_dropped() -> None:
    assert tokens("Acme Corp.") == tokens("Acme Corporation") == tokens("Acme Company") == ("acme",)


def test_bracketed_text_is_a_name_of_its_own() -> None:
    assert split_bracketed("Valdoria Institute of Physics (VIP)") == ["Valdoria Institute of Physics", "VIP"]
    names = normalise_names(["Valdoria Institute of Physics (VIP)", "Valdoria Institute of Physics"])
    assert [n.tokens for n in names] == [("valdoria", "institute", "physics"), ("vip",)]
    assert all(n.original == "Valdoria Institute of Physics (VIP)" for n in names)


def test_transliteration_fold() -> None:
    assert fold("tsentr") == fold("centr")
    assert fold("yadernoy") == fold("jadernoj")
    assert fold("mountronte") == fold("moudrode")


@pytest.mark.parametrize(
    ("scheme", "raw", "expected"),
    [
        ("lei", " 5299 00t8bm49aursdo55", "529900T8BM49AURSDO55"),
        ("ror", "https://ror.org/05ABC1234", "05abc1234"),
        ("ror", "05abc1234", "05abc1234"),
        ("pic", "999 123 456", "999123456"),
        ("vat", "DE 123.456.789", "DE123456789"),
        ("registration", "HRB-12 345", "HRB12345"),
        ("lei", "  ", None),
    ],
)
def test_identifiers_normalise(scheme: str, raw: str, expected: str | None) -> None:
    assert normalise_identifier(scheme, raw) == expected
