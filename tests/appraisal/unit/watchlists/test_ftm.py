"""FollowTheMoney JSON lines (OpenSanctions entities.ftm.json) importer."""

from __future__ import annotations

import json

import pytest

from rsc_appraisal.engine.contracts import ListEntry, ListKind, Relation, RelationKind
from rsc_appraisal.watchlists.importers import ImportResult, ListImportError, import_ftm_jsonl
from tests.appraisal.unit.watchlists.support import FIXTURES

SAMPLE = FIXTURES / "ftm_sample.jsonl"


@pytest.fixture
def sample(provenance: dict) -> ImportResult:
    return import_ftm_jsonl(SAMPLE, **provenance)


def _entries(result: ImportResult) -> dict[str, ListEntry]:
    return {entry.entry_id: entry for entry in result.data.entries}


def _refused(raw: bytes, provenance: dict, **kwargs: object) -> ListImportError:
    with pytest.raises(ListImportError) as caught:
        import_ftm_jsonl(raw, **provenance, **kwargs)
    return caught.value


def _line(entity_id: str, schema: str = "Company", **properties: list[str]) -> str:
    return json.dumps({"id": entity_id, "schema": schema, "properties": properties, "target": True})


def test_provenance_and_entries(sample: ImportResult) -> None:
    data = sample.data
    assert (data.list_key, data.title, data.version_label, data.kind) == (
        "fixture-list",
        "Fixture list",
        "2025-03-15",
        ListKind.sanctions,  # default kind
    )
    # LegalEntity schemata only, in file order; Sanction, Address, Vessel, relations and unknown schemata are not
    assert list(_entries(sample)) == ["fx-parent", "fx-holding", "fx-sub", "fx-lab", "fx-person", "fx-untargeted"]


def test_organisation_entry(sample: ImportResult) -> None:
    entry = _entries(sample)["fx-parent"]
    assert entry.listed is True
    assert entry.schema_name == "Company"
    # name first, then alias and previousName; the upper-case repeat of the name is dropped
    assert entry.names == ("Fixture Holding Group Ltd", "Fixture Group Holding", "Old Fixture Holding")
    assert entry.weak_aliases == ("FHG", "FHGL")  # weakAlias, abbreviation
    # first valid LEI; VAT normalised; innCode and taxNumber are not matching identifiers of the contract
    assert entry.identifiers == {"lei": "TEST00FIXT0000000174", "vat": "IS1234567", "registration": "REG-0001"}
    # country is, jurisdiction ua-cri -> UA, mainCountry xk left out
    assert entry.countries == ("IS", "UA")
    assert entry.topics == ("sanction",)  # unknown topic left out
    assert entry.programme == "FX-PROG; FX-PROG-2"  # own program, then its Sanction's
    assert entry.reason == "Fixture sanction reason."  # the Sanction's reason wins over notes
    assert entry.source_url == "https://example.org/fixtures/fx-parent"


def test_target_false_entities_are_related_parties(sample: ImportResult) -> None:
    entries = _entries(sample)
    assert [entries[key].listed for key in ("fx-holding", "fx-sub", "fx-lab")] == [False, False, False]
    assert entries["fx-holding"].countries == ("FI",)  # upper-case code accepted too
    assert entries["fx-holding"].identifiers == {}  # invalid LEI left out with a warning
    assert entries["fx-sub"].identifiers == {"registration": "HRB 0001"}


def test_missing_target_flag_means_listed_with_a_warning(sample: ImportResult) -> None:
    entry = _entries(sample)["fx-untargeted"]
    assert entry.listed is True
    assert entry.schema_name == "PublicBody"
    assert entry.countries == ("GB",)  # gb-sct
    assert any(w.message == "fx-untargeted: no 'target' flag; the entity is taken as listed" for w in sample.warnings)


def test_person_entry_carries_names_and_listing_facts_only(sample: ImportResult) -> None:
    entry = _entries(sample)["fx-person"]
    assert entry.schema_name == "Person"
    assert entry.names == ("Testa Fixturova", "Теста Фикстурова")
    assert entry.weak_aliases == ("T. F.",)
    assert entry.identifiers == {}
    assert entry.countries == ()
    assert entry.reason == ""
    assert entry.topics == ("sanction", "role.pep")
    assert entry.programme == "FX-PROG"
    dumped = entry.model_dump_json()
    for personal in ("1970", "Fixtureville", '"NO"', "female", "Norwegian", "P000001", "ID-1", "Fixture Street"):
        assert personal not in dumped
    for attribute in ("birth", "nationality", "citizenship", "gender", "religion", "ethnicity", "Director"):
        assert attribute not in dumped


def test_relations(sample: ImportResult) -> None:
    assert sample.data.relations == (
        Relation(kind=RelationKind.ownership, controller_id="fx-parent", controlled_id="fx-holding", share_percent=75),
        Relation(kind=RelationKind.ownership, controller_id="fx-holding", controlled_id="fx-sub", share_percent=60.5),
        # "about half" is no percentage: the share is left open
        Relation(kind=RelationKind.ownership, controller_id="fx-holding", controlled_id="fx-lab"),
        Relation(kind=RelationKind.directorship, controller_id="fx-person", controlled_id="fx-sub"),
        # Control -> subsidiary with decisive influence
        Relation(
            kind=RelationKind.subsidiary, controller_id="fx-parent", controlled_id="fx-lab", decisive_influence=True
        ),
        # fx-lab's parent property
        Relation(kind=RelationKind.subsidiary, controller_id="fx-holding", controlled_id="fx-lab"),
    )


def test_warnings(sample: ImportResult) -> None:
    messages = {(warning.location, warning.message) for warning in sample.warnings}
    assert messages >= {
        ("line 14", "Address entities are not list entries or relations: skipped"),
        ("line 15", "Vessel entities are not list entries or relations: skipped"),
        ("line 16 /properties/futureProp", "PublicBody has no property 'futureProp': ignored"),
        ("line 17 /schema", "schema 'FutureThing' is not known to the installed FollowTheMoney model: skipped"),
        (
            "line 1 /properties/leiCode/1",
            "fx-parent: more than one lei; only the first ('TEST00FIXT0000000174') is kept",
        ),
        ("line 1 /properties/topics/1", "unknown FollowTheMoney topic 'bogus.topic': left out"),
        ("line 1 /properties/jurisdiction/0", "country code 'ua-cri' (Crimea (Occupied Ukraine)) recorded as UA"),
        (
            "line 1 /properties/mainCountry/0",
            "country code 'xk' (Kosovo) has no ISO 3166-1 alpha-2 equivalent: left out",
        ),
        ("line 3 /properties/leiCode/0", "fx-holding: 'not-a-lei' is not a valid lei: left out"),
        (
            "line 9",
            "ownership relation 'fx-parent' -> 'fx-outside': 'fx-outside' is not a Person/Organization entity of "
            "this file: relation left out",
        ),
        ("line 10 /properties/percentage/0", "'about half' is not a percentage: the share is left open"),
    }


def test_byte_order_mark_and_crlf_are_accepted(provenance: dict) -> None:
    raw = b"\xef\xbb\xbf" + SAMPLE.read_bytes().replace(b"\n", b"\r\n")
    assert import_ftm_jsonl(raw, **provenance).data == import_ftm_jsonl(SAMPLE, **provenance).data


def test_kind_can_be_set(provenance: dict) -> None:
    assert import_ftm_jsonl(SAMPLE, **provenance, kind="export_control").data.kind is ListKind.export_control


# ----------------------------------------------------------------------------------- refusals


def test_broken_file_reports_every_problem(provenance: dict) -> None:
    problems = _refused((FIXTURES / "ftm_broken.jsonl").read_bytes(), provenance).problems
    assert [(problem.location, problem.line, problem.message) for problem in problems] == [
        ("line 2, column 102", 2, "malformed JSON: Expecting ',' delimiter"),
        ("line 3 /id", 3, "duplicate id 'fx-ok' (first on line 1)"),
        ("line 6 /properties/name", 6, "must be a list of strings"),
        ("line 7 /target", 7, "must be true or false"),
        ("line 8", 8, "expected a JSON object (one FollowTheMoney entity per line)"),
        ("line 4 /properties/country/1", 4, "unknown country code 'qq': expected an ISO 3166-1 alpha-2 code"),
        ("line 5 /properties/name", 5, "fx-no-name: the entity has no name"),
    ]


@pytest.mark.parametrize(
    ("raw", "location", "message"),
    [
        (b'{"id": "a", "schema": "Company", "properties": {"name": ["\xff"]}}', "line 1, byte 59", "not valid UTF-8"),
        (_line("a", name=[{"id": "b"}]).encode(), "line 1 /properties/name/0", "nested entities are not supported"),
        (_line("a b", name=["Fixture"]).encode(), "line 1 /id", "is not a FollowTheMoney entity id"),
        (json.dumps({"schema": "Company"}).encode(), "line 1 /id", "missing or not a string"),
        (json.dumps({"id": "a"}).encode(), "line 1 /schema", "missing or not a string"),
        (_line("a", name=["Fixture"], country=["Germany"]).encode(), "line 1 /properties/country/0", "'Germany'"),
        (_line("a", name=["   "]).encode(), "line 1 /properties/name", "the entity has no name"),
        (b"[" * 100_000, "line 1", "malformed JSON: nested too deeply"),
        (b"", "file", "the file has no Person, Organization"),
        (_line("a", "Address", full=["1 Fixture Street"]).encode(), "file", "the file has no Person, Organization"),
    ],
)
def test_bad_input(provenance: dict, raw: bytes, location: str, message: str) -> None:
    [problem] = _refused(raw, provenance).problems
    assert problem.location == location
    assert message in problem.message


def test_persons_country_values_are_never_read(provenance: dict) -> None:
    # an unknown code in a person's country, nationality or birth country is neither checked nor kept
    raw = _line("p", "Person", name=["Fixture Person"], country=["qq"], nationality=["qq"], birthCountry=["qq"])
    entry = import_ftm_jsonl(raw.encode(), **provenance).data.entries[0]
    assert entry.countries == ()


def test_relation_problems_are_warnings(provenance: dict) -> None:
    lines = [
        _line("a", name=["Fixture A"]),
        json.dumps({"id": "o1", "schema": "Ownership", "properties": {"owner": ["a"]}}),
        json.dumps({"id": "o2", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["a"]}}),
    ]
    result = import_ftm_jsonl("\n".join(lines).encode(), **provenance)
    assert result.data.relations == ()
    assert [warning.message for warning in result.warnings] == [
        "Ownership 'o1' without 'owner' or 'asset': left out",
        "ownership relation of 'a' to itself: left out",
    ]


def test_too_large(provenance: dict) -> None:
    [problem] = _refused(SAMPLE.read_bytes(), provenance, max_bytes=100).problems
    assert problem.location == "file"


def test_problem_count_is_limited(provenance: dict) -> None:
    raw = "\n".join(_line(f"e{n}", name=[f"Fixture {n}"], country=["qq"]) for n in range(300)).encode()
    error = _refused(raw, provenance, max_problems=10)
    assert len(error.problems) == 10
    assert error.truncated
