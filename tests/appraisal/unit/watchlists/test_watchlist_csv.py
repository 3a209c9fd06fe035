"""Funder-maintained watch-list CSV importer."""

from __future__ import annotations

import pytest

from rsc_appraisal.engine.contracts import ListKind, Relation, RelationKind
from rsc_appraisal.watchlists.importers import CSV_COLUMNS, ImportResult, ListImportError, import_watchlist_csv
from tests.appraisal.unit.watchlists.support import FIXTURES

SAMPLE = FIXTURES / "funder_watchlist.csv"
HEADER = "entry_id,name,country,controller_entry_id,control_kind,control_share_percent,decisive_influence\n"


@pytest.fixture
def sample(provenance: dict) -> ImportResult:
    return import_watchlist_csv(SAMPLE, **provenance)


def _refused(raw: bytes, provenance: dict, **kwargs: object) -> ListImportError:
    with pytest.raises(ListImportError) as caught:
        import_watchlist_csv(raw, **provenance, **kwargs)
    return caught.value


def _problems(raw: str, provenance: dict) -> list[tuple[str, str]]:
    return [(problem.location, problem.message) for problem in _refused(raw.encode(), provenance).problems]


def test_entries(sample: ImportResult) -> None:
    assert sample.data.kind is ListKind.watchlist  # default kind
    assert sample.warnings == ()
    first, spin_off, foundation = sample.data.entries
    assert first.entry_id == "fx-wl-1"
    assert first.listed is True
    assert first.schema_name == "Organization"  # default
    assert first.names == (
        "Fixture Institute of Applied Optics",
        "Fixture Applied Optics Institute",
        "Institut Fixture d'Optique Appliquée",
    )
    assert first.weak_aliases == ("FIAO",)
    assert first.countries == ("DE", "FR")
    assert first.identifiers == {
        "lei": "TEST00FIXT0000000174",
        "ror": "0fxtr0a01",
        "pic": "900000001",
        "vat": "DE123456789",
        "registration": "HRB 0001",
    }
    assert first.topics == ("export.risk", "mil")
    assert first.programme == "Fixture programme"
    assert first.reason == "Fixture reason, spanning two lines."
    assert first.source_url == "https://example.org/fixtures/fx-wl-1"

    assert (spin_off.entry_id, spin_off.listed, spin_off.schema_name) == ("fx-wl-2", False, "Company")
    assert foundation.schema_name == "PublicBody"
    assert foundation.names == ("Fixture Defence Foundation", "Фикстура Оборонный Фонд", "フィクスチャ防衛財団")
    assert foundation.countries == ()


def test_relations_from_aligned_columns(sample: ImportResult) -> None:
    assert sample.data.relations == (
        Relation(
            kind=RelationKind.ownership,
            controller_id="fx-wl-1",
            controlled_id="fx-wl-2",
            share_percent=60,
            decisive_influence=True,
        ),
        Relation(
            kind=RelationKind.directorship,
            controller_id="fx-wl-3",
            controlled_id="fx-wl-2",
            share_percent=None,
            decisive_influence=True,
        ),
    )


def test_byte_order_mark_and_crlf(provenance: dict, sample: ImportResult) -> None:
    raw = b"\xef\xbb\xbf" + SAMPLE.read_bytes().replace(b"\n", b"\r\n")
    result = import_watchlist_csv(raw, **provenance)
    assert result.data.entries[1:] == sample.data.entries[1:]
    # the quoted line break inside the reason is kept as a line break and then collapsed like any whitespace
    assert result.data.entries[0].reason == "Fixture reason, spanning two lines."


def test_header_only_is_an_empty_list_with_a_warning(provenance: dict) -> None:
    result = import_watchlist_csv(b"entry_id,name\n", **provenance)
    assert result.data.entries == ()
    assert [w.message for w in result.warnings] == ["the watch list has no rows: this version lists nothing"]


def test_blank_lines_are_skipped(provenance: dict) -> None:
    result = import_watchlist_csv(b"entry_id,name\n\nfx-1,Fixture\n,\n", **provenance)
    assert [entry.entry_id for entry in result.data.entries] == ["fx-1"]


def test_every_column_is_documented_in_the_data_readme() -> None:
    readme = (FIXTURES.parents[3] / "services/appraisal/src/rsc_appraisal/watchlists/data/README.md").read_text(
        encoding="utf-8"
    )
    for column in CSV_COLUMNS:
        assert f"| `{column}` |" in readme


# ----------------------------------------------------------------------------------- refusals


def test_bad_header(provenance: dict) -> None:
    problems = _refused((FIXTURES / "funder_watchlist_bad_header.csv").read_bytes(), provenance).problems
    assert [(problem.location, problem.line) for problem in problems] == [("line 1, column 2", 1), ("line 1", 1)]
    assert problems[0].message.startswith("unknown column 'aliasses'; known columns: entry_id, name, aliases")
    assert problems[1].message == "required column 'name' is missing"


def test_bad_rows(provenance: dict) -> None:
    problems = _refused((FIXTURES / "funder_watchlist_bad_rows.csv").read_bytes(), provenance).problems
    found = [(problem.location, problem.message.split(":")[0].split(";")[0]) for problem in problems]
    assert found == [
        ("line 3, column 'entry_id'", "duplicate entry_id 'fx-1' (first on line 2)"),
        ("line 4, column 'name'", "the name is empty"),
        ("line 5, column 'country'", "unknown country code 'DEU'"),
        ("line 6, column 'lei'", "'TEST00FIXT0000000175' is not a valid lei"),
        ("line 6, column 'ror'", "'not-a-ror' is not a valid ror"),
        ("line 6, column 'pic'", "'12345' is not a valid pic"),
        ("line 6, column 'vat'", "'1' is not a valid vat"),
        ("line 7, column 'topics'", "unknown topic 'bogus.topic'"),
        ("line 7, column 'source_url'", "'ftp"),
        ("line 8, column 'schema'", "'Person' is not accepted"),
        ("line 8, column 'listed'", "'maybe' is not a boolean (true/false)"),
        ("line 9, column 'control_share_percent'", "'150' is not between 0 and 100"),
        ("line 10", "the row has 14 fields"),
        ("line 9, column 'controller_entry_id'", "'fx-missing' is not an entry_id of this file"),
    ]
    assert [problem.line for problem in problems] == [3, 4, 5, 6, 6, 6, 6, 7, 7, 8, 8, 9, 10, 9]


def test_line_numbers_count_quoted_line_breaks(provenance: dict) -> None:
    raw = 'entry_id,name,reason\nfx-1,Fixture,"two\nlines"\nfx-1,Fixture again,\n'
    assert _problems(raw, provenance) == [("line 4, column 'entry_id'", "duplicate entry_id 'fx-1' (first on line 2)")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", [("line 1", "the file is empty: a header row is required")]),
        (
            b"entry_id;name\nfx-1;Fixture\n",
            [("line 1", "the header has a single column containing ';': separate columns with commas")],
        ),
        (b"entry_id,name,name\n", [("line 1, column 3", "column 'name' appears twice")]),
        (
            b"Entry_ID,name\n",
            [
                ("line 1, column 1", "unknown column 'Entry_ID' (did you mean 'entry_id'?)"),
                ("line 1", "required column 'entry_id' is missing"),
            ],
        ),
        (b"entry_id,name\nfx-1,\xff\n", [("line 2", "not valid UTF-8 text")]),
        (b'entry_id,name\nfx-1,"Fixture\n', [("line 2", "malformed CSV")]),
        (b"entry_id,name\nfx 1,Fixture\n", [("line 2, column 'entry_id'", "'fx 1'")]),
        (b"entry_id,name\n,Fixture\n", [("line 2, column 'entry_id'", "entry_id is empty")]),
    ],
)
def test_bad_files(provenance: dict, raw: bytes, expected: list[tuple[str, str]]) -> None:
    problems = _refused(raw, provenance).problems
    assert [
        (problem.location, problem.message[: len(message)])
        for problem, (_, message) in zip(problems, expected, strict=True)
    ] == expected


@pytest.mark.parametrize(
    ("row", "location", "message"),
    [
        ("fx-2,Two,DE,fx-2,,,", "line 3, column 'controller_entry_id'", "'fx-2' cannot control itself"),
        ("fx-2,Two,DE,fx-1;fx-1,,,", "line 3, column 'controller_entry_id'", "the same controller is named twice"),
        ("fx-2,Two,DE,,,50,", "line 3, column 'control_share_percent'", "set without controller_entry_id"),
        (
            "fx-2,Two,DE,fx-1,ownership;ownership,,",
            "line 3, column 'control_kind'",
            "2 values for 1 controllers: give one value or one each",
        ),
        (
            "fx-2,Two,DE,fx-1,control,,",
            "line 3, column 'control_kind'",
            "'control' is not one of ownership, directorship, subsidiary",
        ),
        ("fx-2,Two,DE,fx-1,,,sometimes", "line 3, column 'decisive_influence'", "'sometimes' is not a boolean"),
        ("fx-2,Two,xk,,,,", None, None),  # warning only: see below
    ],
)
def test_bad_control_columns(provenance: dict, row: str, location: str | None, message: str | None) -> None:
    raw = f"{HEADER}fx-1,One,DE,,,,\n{row}\n"
    if location is None:
        result = import_watchlist_csv(raw.encode(), **provenance)
        assert result.data.entries[1].countries == ()
        assert result.warnings[0].location == "line 3, column 'country'"
        return
    [problem] = _refused(raw.encode(), provenance).problems
    assert (problem.location, problem.message[: len(message or "")]) == (location, message)


def test_controller_defined_later_in_the_file(provenance: dict) -> None:
    raw = f"{HEADER}fx-2,Two,DE,fx-1,subsidiary,,true\nfx-1,One,DE,,,,\n"
    [relation] = import_watchlist_csv(raw.encode(), **provenance).data.relations
    assert relation == Relation(
        kind=RelationKind.subsidiary, controller_id="fx-1", controlled_id="fx-2", decisive_influence=True
    )


def test_too_large(provenance: dict) -> None:
    [problem] = _refused(SAMPLE.read_bytes(), provenance, max_bytes=64).problems
    assert problem.location == "file"
