"""The value rules every importer shares (countries, identifiers, text, size cap, problem limit)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from rsc_appraisal.watchlists.importers import ListImportError, check_country, normalise_identifier
from rsc_appraisal.watchlists.importers._normalise import (
    NameCollector,
    Provenance,
    clean_text,
    lei_check_digits,
    lei_checksum_ok,
    parse_bool,
    parse_percent,
    read_source,
)
from rsc_appraisal.watchlists.importers.problems import ProblemLog, TooManyProblems
from tests.appraisal.unit.watchlists.support import RETRIEVED_AT


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("DE", "iso", "DE"),
        ("de", "iso", "DE"),
        (" fr ", "iso", "FR"),
        ("ua-cri", "mapped", "UA"),
        ("GE-AB", "mapped", "GE"),
        ("gb-sct", "mapped", "GB"),
        ("xk", "dropped", None),
        ("XK", "dropped", None),
        ("suhh", "dropped", None),
        ("eu", "dropped", None),
        ("zz", "dropped", None),
        ("qq", "unknown", None),
        ("DEU", "unknown", None),
        ("Germany", "unknown", None),
        ("", "unknown", None),
        ("00", "unknown", None),
    ],
)
def test_country_rule(raw: str, status: str, code: str | None) -> None:
    check = check_country(raw)
    assert (check.status, check.code) == (status, code)


@pytest.mark.parametrize(
    ("scheme", "raw", "expected"),
    [
        ("lei", "TEST00FIXT0000000174", "TEST00FIXT0000000174"),
        ("lei", " test00fixt 0000000174 ", "TEST00FIXT0000000174"),
        ("lei", "TEST00FIXT0000000175", None),  # check digits wrong
        ("lei", "TEST00FIXT00000001", None),  # too short
        ("ror", "0fxtr0a01", "0fxtr0a01"),
        ("ror", "https://ror.org/0FXTR0A01", "0fxtr0a01"),
        ("ror", "ror.org/0fxtr0a01/", "0fxtr0a01"),
        ("ror", "1fxtr0a01", None),
        ("pic", "900000001", "900000001"),
        ("pic", "90000001", None),
        ("pic", "90000000A", None),
        ("vat", "de 123.456-789", "DE123456789"),
        ("vat", "CHE-999.000.104", "CHE999000104"),
        ("vat", "123456789", None),
        ("registration", "  HRB   0001 ", "HRB 0001"),
        ("registration", "x" * 101, None),
        ("lei", "", None),
    ],
)
def test_identifier_rule(scheme: str, raw: str, expected: str | None) -> None:
    assert normalise_identifier(scheme, raw) == expected


def test_unknown_identifier_scheme_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="scheme"):
        normalise_identifier("passport", "P0000001")


def test_lei_check_digits_complete_a_prefix() -> None:
    lei = "TEST00FIXT00000001" + lei_check_digits("TEST00FIXT00000001")
    assert lei == "TEST00FIXT0000000174"
    assert lei_checksum_ok(lei)


def test_clean_text_normalises_and_removes_control_characters() -> None:
    assert clean_text("  Fixture\x00 Optics\t\n  Plant\u00a0 ") == "Fixture Optics Plant"
    assert clean_text("Cafe\u0301") == "Caf\u00e9"  # NFC
    assert clean_text(None) == ""


def test_names_keep_order_drop_duplicates_and_keep_weak_aliases_apart() -> None:
    names = NameCollector()
    for value in ("Fixture Plant", "Fixture Works", "FIXTURE PLANT", "  "):
        names.add(value)
    names.add("FP", weak=True)
    names.add("fixture works", weak=True)  # also a full name: kept as the full name only
    assert names.names == ("Fixture Plant", "Fixture Works")
    assert names.weak_aliases == ("FP",)
    names.first("fixture works")
    assert names.names == ("Fixture Works", "Fixture Plant")


@pytest.mark.parametrize(("raw", "expected"), [("51", 51.0), ("51.5", 51.5), ("51,5 %", 51.5), ("", None), ("0", 0.0)])
def test_percent(raw: str, expected: float | None) -> None:
    assert parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["101", "-1", "half", "25-50"])
def test_bad_percent(raw: str) -> None:
    with pytest.raises(ValueError, match=r"percentage|between"):
        parse_percent(raw)


def test_bool() -> None:
    assert parse_bool("TRUE", None) is True
    assert parse_bool("no", None) is False
    assert parse_bool("", True) is True
    with pytest.raises(ValueError, match="boolean"):
        parse_bool("maybe", None)


def test_size_cap_applies_to_bytes_paths_and_files(tmp_path) -> None:
    data = b"x" * 11
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    for source in (data, path, io.BytesIO(data)):
        with pytest.raises(ListImportError) as caught:
            read_source(source, 10)
        assert caught.value.problems[0].location == "file"
        assert "limit of 10 bytes" in caught.value.problems[0].message
        assert read_source(source if not isinstance(source, io.BytesIO) else io.BytesIO(data), 11) == data


def test_a_str_source_is_refused_as_ambiguous() -> None:
    with pytest.raises(TypeError, match="bytes"):
        read_source("entry_id,name", 100)


@pytest.mark.parametrize(
    "change",
    [
        {"list_key": "Fixture List"},
        {"list_key": "x"},
        {"title": "  "},
        {"version_label": ""},
        {"source": ""},
        {"retrieved_at": datetime(2025, 3, 15)},  # naive
        {"kind": "bogus"},
    ],
)
def test_provenance_mistakes_raise_value_error(change: dict) -> None:
    values = {
        "list_key": "fixture-list",
        "title": "Fixture",
        "kind": "watchlist",
        "version_label": "v1",
        "source": "s",
        "retrieved_at": RETRIEVED_AT,
    }
    values.update(change)
    with pytest.raises(ValueError):  # noqa: PT011 - several messages
        Provenance.checked(**values)


def test_problem_log_stops_at_the_limit_and_groups_warnings() -> None:
    log = ProblemLog(max_problems=3)
    log.error("line 1", "a")
    log.error("line 2", "b")
    with pytest.raises(TooManyProblems):
        log.error("line 3", "c")
    assert log.truncated
    with pytest.raises(ListImportError) as caught:
        log.raise_if_errors()
    assert [problem.location for problem in caught.value.problems] == ["line 1", "line 2", "line 3"]
    assert caught.value.truncated

    for line in (5, 6, 7):
        log.warn(f"line {line}", "country dropped", line, group="country")
    log.warn("line 9", "other", 9)
    warnings = log.warnings()
    assert [(w.location, w.message) for w in warnings] == [
        ("line 5", "country dropped (3 occurrences, the first is shown)"),
        ("line 9", "other"),
    ]
