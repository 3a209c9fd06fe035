"""EU consolidated financial sanctions list (FSF xmlFullSanctionsList_1_1) importer."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from rsc_appraisal.engine.contracts import ListKind
from rsc_appraisal.watchlists.importers import ImportResult, ListImportError, import_eu_fsf_xml
from rsc_appraisal.watchlists.importers.eu_fsf import DEFAULT_LIST_KEY, NAMESPACE
from tests.appraisal.unit.watchlists.support import FIXTURES, RETRIEVED_AT

SAMPLE = FIXTURES / "eu_fsf_sample.xml"


def _import(data: object, **kwargs: object) -> ImportResult:
    return import_eu_fsf_xml(data, retrieved_at=RETRIEVED_AT, **kwargs)  # type: ignore[arg-type]


def _refused(data: object, **kwargs: object) -> ListImportError:
    with pytest.raises(ListImportError) as caught:
        _import(data, **kwargs)
    return caught.value


def _document(
    entities: str, root: str = f'<export xmlns="{NAMESPACE}" generationDate="2025-01-01T00:00:00Z">'
) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}\n{entities}\n</export>\n'.encode()


def _enterprise(logical_id: str, name: str, extra: str = "") -> str:
    return (
        f'<sanctionEntity logicalId="{logical_id}"><subjectType code="enterprise" classificationCode="E"/>'
        f'<nameAlias wholeName="{name}" strong="true"/>{extra}</sanctionEntity>'
    )


def test_imports_the_sample_with_provenance_defaults() -> None:
    result = _import(SAMPLE)
    data = result.data
    assert data.list_key == DEFAULT_LIST_KEY
    assert data.kind is ListKind.sanctions
    assert data.version_label == "2025-03-14T18:02:11.123+01:00"  # export/@generationDate
    assert data.retrieved_at == RETRIEVED_AT
    assert "Financial Sanctions Files" in data.source
    assert [entry.entry_id for entry in data.entries] == ["900001", "900002", "900003", "900004"]
    assert data.relations == ()


def test_enterprise_entry() -> None:
    entry = _import(SAMPLE).data.entries[0]
    assert entry.entry_id == "900001"  # logicalId
    assert entry.listed is True
    assert entry.schema_name == "Organization"
    # strong names in document order (whitespace collapsed, case-insensitive duplicate dropped), weak apart
    assert entry.names == (
        "Fixture Optics Manufacturing Plant",
        "Fixture Optical Plant JSC",
        "Фикстура Оптический Завод",
    )
    assert entry.weak_aliases == ("FOMP",)
    # regnumber -> registration; fiscalcode is not a matching identifier of the contract
    assert entry.identifiers == {"registration": "REG 1027 0000 0001"}
    # address FI, identification IS, citizenship "is" (organisation's registration country); "00" = unknown
    assert entry.countries == ("FI", "IS")
    assert entry.topics == ("sanction",)
    assert entry.programme == "TST; TST2"
    assert entry.source_url == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=fixture-1"
    assert entry.reason == "Fixture enterprise producing optical test equipment."


def test_person_entry_carries_names_only() -> None:
    entry = _import(SAMPLE).data.entries[1]
    assert entry.schema_name == "Person"
    assert entry.names == ("Testa Fixturova", "Теста Фикстурова")
    assert entry.weak_aliases == ("T. Fixturova",)
    assert entry.identifiers == {}  # passport and national id are never read
    assert entry.countries == ()  # no citizenship, birth country or address country
    assert entry.reason == ""  # the remark holds birth data and nationality
    assert entry.programme == "TST"
    assert entry.topics == ("sanction",)


def test_no_person_data_reaches_the_result() -> None:
    dumped = _import(SAMPLE).data.entries[1].model_dump_json()
    for personal in ("1970", "Fixtureville", "Fixturestad", "NORWAY", '"NO"', "SE", "P0000001", "ID-0000001"):
        assert personal not in dumped
    for attribute in ("Director", "Dr", '"F"', "gender", "birth", "citizenship", "nationality"):
        assert attribute not in dumped


def test_warnings_for_non_iso_country_and_weak_only_names() -> None:
    result = _import(SAMPLE)
    entry = result.data.entries[2]
    assert entry.countries == ("MK",)  # XK (Kosovo) has no ISO 3166-1 code: left out, never guessed
    weak_only = result.data.entries[3]
    assert weak_only.names == ("Weak Only Fixture Trading",)
    assert weak_only.weak_aliases == ()
    messages = [(warning.location, warning.message) for warning in result.warnings]
    assert messages == [
        (
            "/export/sanctionEntity[3]/address[1]/@countryIso2Code (line 51)",
            "country code 'XK' (Kosovo) has no ISO 3166-1 alpha-2 equivalent: left out",
        ),
        (
            "/export/sanctionEntity[4] (line 54)",
            "logicalId '900004': only weak names; 'Weak Only Fixture Trading' is used as the name",
        ),
    ]


def test_explicit_provenance_overrides_defaults() -> None:
    data = _import(
        SAMPLE.read_bytes(),
        list_key="eu-fsf-test",
        title="EU list (test)",
        kind="other",
        version_label="file-190001",
        source="fixture",
    ).data
    assert (data.list_key, data.title, data.kind, data.version_label, data.source) == (
        "eu-fsf-test",
        "EU list (test)",
        ListKind.other,
        "file-190001",
        "fixture",
    )


def test_accepts_a_binary_file_object() -> None:
    with SAMPLE.open("rb") as handle:
        assert len(_import(handle).data.entries) == 4
    assert len(_import(io.BytesIO(SAMPLE.read_bytes())).data.entries) == 4


def test_result_is_deterministic() -> None:
    assert _import(SAMPLE).data == _import(SAMPLE).data


# ----------------------------------------------------------------------------------- refusals


def test_malformed_xml() -> None:
    error = _refused(FIXTURES / "eu_fsf_malformed.xml")
    [problem] = error.problems
    assert problem.location == "line 6, column 22"
    assert problem.line == 6
    assert problem.message.startswith("malformed XML: Opening and ending tag mismatch")


def test_wrong_namespace() -> None:
    [problem] = _refused(FIXTURES / "eu_fsf_wrong_namespace.xml").problems
    assert problem.location == "/export"
    assert "namespace 'http://example.org/not-the-fsf-namespace'" in problem.message
    assert NAMESPACE in problem.message


def test_missing_namespace() -> None:
    [problem] = _refused(_document(_enterprise("1", "Fixture"), root="<export>")).problems
    assert problem.message == f"root element 'export' has no namespace; expected namespace {NAMESPACE!r}"


def test_other_root_element() -> None:
    [problem] = _refused(b'<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>').problems
    assert problem.location == "/CONSOLIDATED_LIST"
    assert "expected 'export'" in problem.message


def test_doctype_and_entity_expansion_are_refused_without_expanding() -> None:
    error = _refused(FIXTURES / "eu_fsf_entity_expansion.xml")
    [problem] = error.problems
    assert problem.message == "a DOCTYPE (DTD or entity declarations) is not accepted"
    assert "lol" not in str(error)
    assert "root:" not in str(error)


def test_broken_entries_are_all_reported_with_locations() -> None:
    problems = _refused(FIXTURES / "eu_fsf_broken_entries.xml").problems
    assert [(problem.location, problem.line, problem.message) for problem in problems] == [
        ("/export/sanctionEntity[2] (line 7)", 7, "duplicate logicalId '900001' (first on line 3)"),
        ("/export/sanctionEntity[3] (line 11)", 11, "sanctionEntity without logicalId"),
        (
            "/export/sanctionEntity[4] (line 15)",
            15,
            "logicalId '900004': no name (every nameAlias/@wholeName is empty or missing)",
        ),
        (
            "/export/sanctionEntity[5]/address[1]/@countryIso2Code (line 22)",
            22,
            "unknown country code 'QQ': expected an ISO 3166-1 alpha-2 code",
        ),
        (
            "/export/sanctionEntity[6]/subjectType (line 25)",
            25,
            "logicalId '900006': subject type 'vessel' is not 'enterprise' or 'person'",
        ),
    ]


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\xff\xfe<export/>"])
def test_empty_or_undecodable_file(raw: bytes) -> None:
    [problem] = _refused(raw).problems
    assert problem.location.startswith("line ")
    assert problem.message.startswith("malformed XML")


def test_excessive_nesting_is_refused() -> None:
    [problem] = _refused(b"<export>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</export>").problems
    assert problem.message.startswith("malformed XML: Excessive depth in document")


def test_file_without_entities() -> None:
    [problem] = _refused(_document("")).problems
    assert (problem.location, problem.message) == ("/export", "the file has no sanctionEntity elements")


def test_version_label_needs_the_generation_date() -> None:
    raw = _document(_enterprise("1", "Fixture"), root=f'<export xmlns="{NAMESPACE}">')
    [problem] = _refused(raw).problems
    assert problem.location == "/export/@generationDate"
    assert _import(raw, version_label="manual").data.version_label == "manual"


def test_too_large() -> None:
    [problem] = _refused(SAMPLE, max_bytes=1000).problems
    assert problem.location == "file"
    assert "larger than the limit of 1,000 bytes" in problem.message


def test_problem_count_is_limited() -> None:
    entities = "\n".join(_enterprise(str(n), f"Fixture {n}", '<address countryIso2Code="QQ"/>') for n in range(1, 151))
    error = _refused(_document(entities), max_problems=100)
    assert len(error.problems) == 100
    assert error.truncated
    assert "(and 97 more+)" in str(error)


def test_naive_retrieved_at_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        import_eu_fsf_xml(SAMPLE, retrieved_at=datetime(2025, 3, 15))
