"""Canonical organisation keys."""

from __future__ import annotations

from rsc_appraisal.matching import organisation_key, organisation_keys

LEI = "529900T8BM49AURSDO55"


def test_identifier_precedence_lei_ror_pic_vat() -> None:
    everything = {"vat": "DE123456789", "pic": "999123456", "ror": "https://ror.org/05abc1234", "lei": LEI.lower()}
    assert organisation_key("Acme", everything, "DE") == ("identifier", f"lei:{LEI}")
    del everything["lei"]
    assert organisation_key("Acme", everything, "DE") == ("identifier", "ror:05abc1234")
    del everything["ror"]
    assert organisation_key("Acme", everything, "DE") == ("identifier", "pic:999123456")
    del everything["pic"]
    assert organisation_key("Acme", everything, "DE") == ("identifier", "vat:DE123456789")


def test_registration_numbers_and_blank_identifiers_do_not_make_a_key() -> None:
    assert organisation_key("Acme GmbH", {"registration": "HRB 1", "lei": " "}, "DE") == ("name", "DE:acme")


def test_name_key_is_normalised() -> None:
    same = [
        organisation_key("Acme GmbH", {}, "DE"),
        organisation_key("ACME Gesellschaft mit beschränkter Haftung", {}, "de"),
        organisation_key("  acme ", {}, "DE"),
    ]
    assert set(same) == {("name", "DE:acme")}
    assert organisation_key("University of Valdoria", {}, None) == organisation_key("Valdoria University", {}, None)
    assert organisation_key("University of Valdoria", {}, None) == ("name", "-:university valdoria")


def test_country_separates_name_keys() -> None:
    assert organisation_key("Acme GmbH", {}, "DE") != organisation_key("Acme GmbH", {}, "AT")


def test_non_latin_names_get_ascii_keys() -> None:
    kind, key = organisation_key("Московский государственный университет", {}, "RU")
    assert kind == "name"
    assert key == "RU:gosudarstvenny moskovsky universitet"
    assert organisation_key("兰河科技有限公司", {}, "CN") == ("name", "CN:he ji ke lan")


def test_bracketed_acronym_is_ignored() -> None:
    assert organisation_key("Valdoria Institute (VI)", {}, None) == organisation_key("Valdoria Institute", {}, None)


def test_organisation_keys_carry_every_identifier_strongest_first_and_the_name_key() -> None:
    everything = {"vat": "DE 123 456 789", "pic": "999123456", "ror": "https://ror.org/05abc1234", "lei": LEI.lower()}
    keys = organisation_keys("Acme GmbH", {**everything, "registration": "HRB 1"}, "de")
    assert keys.identifiers == (
        ("lei", f"lei:{LEI}"),
        ("ror", "ror:05abc1234"),
        ("pic", "pic:999123456"),
        ("vat", "vat:DE123456789"),
    )
    assert keys.name == "DE:acme"
    assert keys.primary == organisation_key("Acme GmbH", everything, "DE") == ("identifier", f"lei:{LEI}")
    # the same organisation declared with other identifiers, or none, shares the name key
    assert organisation_keys("ACME", {"pic": "999123456"}, "DE").name == keys.name
    bare = organisation_keys("Acme", {}, "DE")
    assert bare.identifiers == ()
    assert bare.primary == ("name", "DE:acme")
