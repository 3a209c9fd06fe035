"""Small hand-made lists for the matching tests (fictitious organisations)."""

from __future__ import annotations

from datetime import UTC, datetime

from rsc_appraisal.engine.contracts import ListEntry, ListKind, ListVersionData, OrganisationQuery, Relation


def entry(entry_id: str, *names: str, schema: str = "Company", **fields: object) -> ListEntry:
    return ListEntry(entry_id=entry_id, schema_name=schema, names=names, **fields)


def version(
    entries: list[ListEntry],
    relations: list[Relation] | None = None,
    *,
    key: str = "test-list",
    kind: ListKind = ListKind.sanctions,
) -> ListVersionData:
    return ListVersionData(
        list_key=key,
        title=f"Test list {key}",
        kind=kind,
        version_label="v1",
        source="tests",
        retrieved_at=datetime(2026, 11, 1, tzinfo=UTC),
        entries=tuple(entries),
        relations=tuple(relations or ()),
    )


def query(name: str, *aliases: str, countries: tuple[str, ...] = (), **identifiers: str) -> OrganisationQuery:
    return OrganisationQuery(
        ref="partner:test",
        pointer="/content/partners/0",
        name=name,
        aliases=aliases,
        identifiers=identifiers,
        countries=countries,
    )


def ids(result) -> list[str]:
    return [c.entry_id for c in result.candidates]
