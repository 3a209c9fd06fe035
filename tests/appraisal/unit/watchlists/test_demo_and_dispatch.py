"""The shipped fictitious demo lists, the format dispatcher, and robustness against arbitrary input."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsc_appraisal.engine.contracts import ListKind, RelationKind
from rsc_appraisal.watchlists.importers import (
    FILE_FORMATS,
    ImportProblem,
    ImportResult,
    ListImportError,
    import_eu_fsf_xml,
    import_ftm_jsonl,
    import_list,
    import_watchlist_csv,
)
from rsc_appraisal.watchlists.importers.demo import DEMO_LISTS, demo_file, load_demo_lists
from tests.appraisal.unit.watchlists.support import FIXTURES, RETRIEVED_AT


@pytest.fixture(scope="module")
def demo() -> dict:
    return {item.spec.list_key: item.result for item in load_demo_lists()}


def _scripts(name: str) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in name if ch.isalpha()}


def test_demo_files_are_marked_fictitious() -> None:
    readme = demo_file("README.md").read_text(encoding="utf-8")
    assert "FICTITIOUS DEMO DATA" in readme
    for spec in DEMO_LISTS:
        assert "demo" in spec.file_name
        assert "fictitious" in spec.title
        assert spec.file_name in readme


def test_demo_lists_import_cleanly_and_reproducibly(demo: dict) -> None:
    assert set(demo) == {"demo-funder-watchlist", "demo-ftm-sanctions"}
    for result in demo.values():
        assert result.warnings == ()
        for entry in result.data.entries:
            assert "FICTITIOUS" in entry.reason
            assert entry.source_url == "" or entry.source_url.startswith("https://example.org/rsc-demo/")
            assert entry.identifiers.get("lei", "DEMO").startswith("DEMO")
            assert entry.identifiers.get("registration", "DEMO-").startswith("DEMO-")
    again = {item.spec.list_key: item.result for item in load_demo_lists()}
    assert again == demo


def test_demo_watchlist(demo: dict) -> None:
    data = demo["demo-funder-watchlist"].data
    assert data.kind is ListKind.watchlist
    entries = {entry.entry_id: entry for entry in data.entries}
    northbridge = entries["demo-wl-0001"]
    assert northbridge.names[0] == "Northbridge Institute of Applied Photonics"
    assert len(northbridge.names) > 1
    assert northbridge.weak_aliases == ("NIAP",)
    assert set(northbridge.identifiers) == {"lei", "ror", "pic", "registration"}
    assert northbridge.listed
    cyrillic = entries["demo-wl-0003"]
    assert _scripts(cyrillic.names[0]) == {"CYRILLIC"}
    assert any(_scripts(alias) == {"LATIN"} for alias in cyrillic.names[1:])
    [relation] = data.relations
    assert (relation.controller_id, relation.controlled_id, relation.share_percent) == (
        "demo-wl-0001",
        "demo-wl-0002",
        100,
    )
    assert not entries["demo-wl-0002"].listed


def test_demo_ftm_list_has_a_majority_ownership_chain(demo: dict) -> None:
    data = demo["demo-ftm-sanctions"].data
    entries = {entry.entry_id: entry for entry in data.entries}
    owners = {r.controlled_id: r for r in data.relations if r.kind is RelationKind.ownership}
    chain = ["demo-lakeshore"]
    while chain[-1] in owners:
        assert (owners[chain[-1]].share_percent or 0) > 50
        chain.append(owners[chain[-1]].controller_id)
    assert chain == ["demo-lakeshore", "demo-mv-holdings", "demo-mv-group"]
    assert [entries[key].listed for key in chain] == [False, False, True]
    assert entries["demo-mv-group"].topics == ("sanction",)
    cjk = entries["demo-sokyu"]
    assert _scripts(cjk.names[0]) == {"CJK"}
    assert any(_scripts(alias) == {"LATIN"} for alias in cjk.names[1:])


@pytest.mark.parametrize(
    ("file_format", "path", "kind"),
    [
        ("eu-fsf-xml", "eu_fsf_sample.xml", ListKind.sanctions),
        ("ftm-jsonl", "ftm_sample.jsonl", ListKind.sanctions),
        ("watchlist-csv", "funder_watchlist.csv", ListKind.watchlist),
    ],
)
def test_dispatch(provenance: dict, file_format: str, path: str, kind: ListKind) -> None:
    assert file_format in FILE_FORMATS
    result = import_list((FIXTURES / path).read_bytes(), file_format, **provenance)
    assert result.data.kind is kind
    assert result.data.version_label == "2025-03-15"
    assert result.data.entries


def test_dispatch_mistakes(provenance: dict) -> None:
    with pytest.raises(ValueError, match="unknown list format"):
        import_list(b"", "pdf", **provenance)
    provenance["version_label"] = None
    with pytest.raises(ValueError, match="version_label is required"):
        import_list(b"", "ftm-jsonl", **provenance)
    eu = import_list((FIXTURES / "eu_fsf_sample.xml").read_bytes(), "eu-fsf-xml", **provenance)
    assert eu.data.version_label == "2025-03-14T18:02:11.123+01:00"


_PROVENANCE = {
    "list_key": "fuzz",
    "title": "t",
    "version_label": "v",
    "source": "s",
    "retrieved_at": RETRIEVED_AT,
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(str.encode),
        st.sampled_from(
            [
                (FIXTURES / "funder_watchlist.csv").read_bytes(),
                (FIXTURES / "ftm_sample.jsonl").read_bytes(),
                (FIXTURES / "eu_fsf_sample.xml").read_bytes(),
            ]
        ).flatmap(lambda raw: st.integers(0, len(raw)).map(lambda cut: raw[:cut])),
    )
)
def test_arbitrary_input_gives_a_list_or_a_list_import_error(raw: bytes) -> None:
    calls = (
        lambda: import_watchlist_csv(raw, **_PROVENANCE),
        lambda: import_ftm_jsonl(raw, **_PROVENANCE),
        lambda: import_eu_fsf_xml(raw, retrieved_at=RETRIEVED_AT),
    )
    for call in calls:
        problems: tuple[ImportProblem, ...] = ()
        try:
            result = call()
        except ListImportError as error:
            problems = error.problems
            result = None
        assert isinstance(result, ImportResult) or problems
        assert all(problem.location and problem.message for problem in problems)
