"""Country-profile CSV import: the example file, value types, and errors with line numbers (all or nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pycountry
import pytest
from pydantic import ValidationError

from rsc_appraisal.countries import (
    EXAMPLE_PROFILES_PATH,
    CountryProfileImportError,
    IndicatorDefinition,
    default_indicator_set,
    load_country_profiles,
    load_example_country_profiles,
    parse_country_profiles,
)

IMPORTED_AT = datetime(2026, 3, 1, tzinfo=UTC)
HEADER = "# version: funder-2026-03\n# example_data: false\n# source: Funder indicators\n"
COLUMNS = "country,indicator,value,source,retrieved,note\n"


def parse(body: str, header: str = HEADER, **kwargs: object):
    return parse_country_profiles(header + body, source_name="test.csv", imported_at=IMPORTED_AT, **kwargs)


def issues(body: str, header: str = HEADER, **kwargs: object) -> list[tuple[int, str]]:
    with pytest.raises(CountryProfileImportError) as caught:
        parse(body, header, **kwargs)
    return [(issue.line, issue.message) for issue in caught.value.issues]


def test_a_valid_file() -> None:
    profiles = parse(
        COLUMNS
        + "DE,rule_of_law_index,0.81,WJP Rule of Law Index 2025,2026-02-01,\n"
        + "DE,eu_member_state,TRUE,TEU Art. 52,2026-02-01,\n"
        + 'JP,academic_freedom_index,unknown,"V-Dem, 2025",2026-01-10,not scored\n'
    )
    assert profiles.version_label == "funder-2026-03"
    assert profiles.example_data is False
    assert profiles.source == "Funder indicators"
    assert profiles.imported_at == IMPORTED_AT
    assert profiles.indicator_names == default_indicator_set().names
    assert sorted(profiles.profiles) == ["DE", "JP"]
    de = profiles.profiles["DE"].indicators
    assert de["rule_of_law_index"].value == 0.81
    assert de["eu_member_state"].value is True
    assert de["rule_of_law_index"].source == "WJP Rule of Law Index 2025"
    assert de["rule_of_law_index"].retrieved == date(2026, 2, 1)
    jp = profiles.profiles["JP"].indicators["academic_freedom_index"]
    assert (jp.value, jp.source, jp.note) == (None, "V-Dem, 2025", "not scored")


def test_note_column_is_optional_and_arguments_override_metadata() -> None:
    profiles = parse(
        "country,indicator,value,source,retrieved\nDE,arms_embargo,false,EU Sanctions Map,2026-02-01\n",
        header="",
        version_label="v9",
        example_data=True,
    )
    assert (profiles.version_label, profiles.example_data) == ("v9", True)
    assert profiles.source == "test.csv"
    assert profiles.profiles["DE"].indicators["arms_embargo"].note == ""


def test_wrong_columns() -> None:
    ((line, message),) = issues("country,indicator,score,source,when\nDE,arms_embargo,false,x,2026-02-01\n")
    assert line == 4
    assert "missing column(s) value, retrieved" in message
    assert "unknown column(s) score, when" in message


def test_row_errors_are_all_reported_with_line_numbers() -> None:
    body = (
        COLUMNS
        + "DE,arms_embargo,false,EU Sanctions Map,2026-02-01,\n"  # line 5: fine
        + "de,arms_embargo,false,EU Sanctions Map,2026-02-01,\n"  # 6: lower case
        + "XX,arms_embargo,false,EU Sanctions Map,2026-02-01,\n"  # 7: not a country
        + "DE,happiness,0.5,Survey,2026-02-01,\n"  # 8: unknown indicator
        + "FR,arms_embargo,maybe,EU Sanctions Map,2026-02-01,\n"  # 9: not a boolean
        + "FR,rule_of_law_index,1.5,WJP,2026-02-01,\n"  # 10: out of range
        + "FR,academic_freedom_index,high,V-Dem,2026-02-01,\n"  # 11: not a number
        + "FR,un_sanctions_regime,false,,2026-02-01,\n"  # 12: no source
        + "FR,state_compulsion_law,false,Analysis,01/02/2026,\n"  # 13: bad date
        + "FR,eu_member_state,true,TEU,2026-04-01,\n"  # 14: retrieved after the import
        + "DE,arms_embargo,true,EU Sanctions Map,2026-02-01,\n"  # 15: repeated
        + "FR,eu_adequacy_decision,,Commission list,2026-02-01,\n"  # 16: empty value
        + "FR,arms_embargo,false\n"  # 17: too few fields
        + "FR,human_rights_protection_index,nan,V-Dem,2026-02-01,\n"  # 18: not finite
    )
    found = issues(body)
    assert [line for line, _ in found] == list(range(6, 19))
    messages = dict(found)
    assert "'de' is not an ISO 3166-1 alpha-2 code" in messages[6]
    assert "'XX' is not an ISO 3166-1 alpha-2 code" in messages[7]
    assert "unknown indicator 'happiness'" in messages[8]
    assert "expected true, false or unknown, got 'maybe'" in messages[9]
    assert "outside 0 to 1" in messages[10]
    assert "expected a number from 0 to 1" in messages[11]
    assert messages[12] == "a source is required for every value"
    assert "retrieved must be a date YYYY-MM-DD" in messages[13]
    assert "is after the import date" in messages[14]
    assert messages[15] == "DE arms_embargo was already given on line 5"
    assert "empty value" in messages[16]
    assert messages[17] == "expected 6 fields, found 3"
    assert "outside 0 to 1" in messages[18]


def test_nothing_is_imported_when_any_row_is_wrong(tmp_path: Path) -> None:
    good = EXAMPLE_PROFILES_PATH.read_text(encoding="utf-8")
    bad = good + "ZZ,arms_embargo,false,x,2026-01-15,\n"
    path = tmp_path / "profiles.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CountryProfileImportError) as caught:
        load_country_profiles(path, imported_at=IMPORTED_AT)
    (issue,) = caught.value.issues
    assert issue.line == len(bad.splitlines())
    assert "profiles.csv" in str(caught.value)


def test_metadata_is_required() -> None:
    found = issues(COLUMNS + "DE,arms_embargo,false,x,2026-02-01,\n", header="# a comment\n")
    assert [m for _, m in found] == [
        "no version: add a '# version: <label>' line or pass version_label",
        "add '# example_data: true' or '# example_data: false' (example files must say so)",
    ]
    assert issues("", header=HEADER) == [(4, "no header row and no data")]
    assert issues(COLUMNS) == [(4, "no data rows")]


def test_the_example_file_is_marked_and_neutral() -> None:
    profiles = load_example_country_profiles(imported_at=IMPORTED_AT)
    assert profiles.example_data is True
    assert profiles.version_label == "example-2026.1"
    assert set(profiles.profiles) == {c.alpha_2 for c in pycountry.countries}
    text = EXAMPLE_PROFILES_PATH.read_text(encoding="utf-8")
    assert text.startswith("# RSC EXAMPLE COUNTRY PROFILES - ILLUSTRATIVE PLACEHOLDERS, NOT AN ASSESSMENT")
    assert "example_data: true" in text
    assert (EXAMPLE_PROFILES_PATH.parent / "README.md").read_text().count("not an assessment") >= 1
    illustrative = {"BV", "HM", "AQ"}
    risk_values = set()
    for country, profile in profiles.profiles.items():
        if country in illustrative:
            assert all("ILLUSTRATIVE" in v.note for v in profile.indicators.values())
            continue
        values = {name: v.value for name, v in profile.indicators.items() if name != "eu_member_state"}
        risk_values.add(tuple(sorted(values.items())))
        assert all(v.source for v in profile.indicators.values())
    assert len(risk_values) == 1  # every real country has the same neutral placeholders
    assert sum(1 for p in profiles.profiles.values() if p.indicators["eu_member_state"].value) == 27
    assert profiles.profiles["BV"].indicators["eu_sanctions_regime"].value is True
    assert set(profiles.profiles["AQ"].indicators) == {"eu_member_state", "academic_freedom_index"}


def test_indicator_definitions() -> None:
    indicators = default_indicator_set()
    assert indicators.version == "2026.1"
    assert indicators.get("academic_freedom_index").higher_is_better is True
    with pytest.raises(ValidationError, match="higher_is_better"):
        IndicatorDefinition(name="x_index", kind="score", title="X", description="X")
    with pytest.raises(ValidationError, match="unique"):
        type(indicators).model_validate({"version": "1", "indicators": [indicators.indicators[0].model_dump()] * 2})
