"""The funder-maintained watch list: a CSV file (see `CSV_COLUMNS` and watchlists/data/README.md).

Format: UTF-8 (a byte-order mark is allowed), comma-separated, `"`-quoted as usual, first row = header.
Column names are exact (lower case); their order is free; `entry_id` and `name` are required, every other
column optional; an unknown or repeated column is a problem. Lists inside a cell are `;`-separated.
One row = one organisation; a row's `controller_entry_id` names the entries that own, direct or are the parent
of it (they must be rows of the same file: an unknown id is a problem, because this is the funder's own data).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from rsc_appraisal.engine.contracts import ListEntry, ListKind, Relation, RelationKind
from rsc_appraisal.watchlists.importers._normalise import (
    IDENTIFIER_RULES,
    IDENTIFIER_SCHEMES,
    ListSource,
    MiB,
    NameCollector,
    Provenance,
    clean_text,
    clean_url,
    collect_countries,
    finish,
    ftm_topics,
    line_of_offset,
    make_entry,
    normalise_identifier,
    parse_bool,
    parse_percent,
    read_source,
)
from rsc_appraisal.watchlists.importers.problems import (
    DEFAULT_MAX_PROBLEMS,
    ImportProblem,
    ImportResult,
    ListImportError,
    ProblemLog,
    TooManyProblems,
)

FILE_FORMAT = "watchlist-csv"
DEFAULT_MAX_BYTES = 16 * MiB
ORGANISATION_SCHEMATA = ("Organization", "Company", "PublicBody", "LegalEntity")
ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")

CSV_COLUMNS: dict[str, str] = {
    "entry_id": "required; stable id of the row across versions (letters, digits, . _ : -; at most 200 characters)",
    "name": "required; the organisation's primary name",
    "aliases": "other full names, ;-separated (translations, transliterations, former names)",
    "weak_aliases": "acronyms and short names, ;-separated (matched with caution)",
    "schema": f"FollowTheMoney schema, one of {', '.join(ORGANISATION_SCHEMATA)}; default Organization",
    "listed": "true (default) or false: false = carried only as an owner/controller or subsidiary of a listed row",
    "country": "ISO 3166-1 alpha-2 codes (any case), ;-separated",
    **{scheme: IDENTIFIER_RULES[scheme] for scheme in IDENTIFIER_SCHEMES},
    "topics": "FollowTheMoney topics, ;-separated (e.g. export.risk; mil; debarment; sanction)",
    "programme": "the listing programme or basis",
    "reason": "why the organisation is listed",
    "source_url": "an http(s) URL documenting the listing",
    "controller_entry_id": "entry_id(s) of rows that control this row, ;-separated",
    "control_kind": "ownership (default), directorship or subsidiary: one value for all controllers, or one each",
    "control_share_percent": "share held, 0-100 (decimal point): empty, one value for all controllers, or one each",
    "decisive_influence": "true/false/empty: one value for all controllers, or one each",
}
REQUIRED_COLUMNS = ("entry_id", "name")


def _split(value: str) -> list[str]:
    return [item for item in (clean_text(part) for part in value.split(";")) if item]


def import_watchlist_csv(
    data: ListSource,
    /,
    *,
    list_key: str,
    title: str,
    version_label: str,
    source: str,
    retrieved_at: datetime,
    kind: ListKind | str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ImportResult:
    """Import a funder watch-list CSV (bytes, path or binary file). `kind` defaults to watchlist.
    Raises ListImportError (nothing imported) on any problem."""
    provenance = Provenance.checked(
        list_key, title, ListKind.watchlist if kind is None else kind, version_label, source, retrieved_at
    )
    raw = read_source(data, max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_of_offset(raw, exc.start)
        raise ListImportError([ImportProblem(f"line {line}", "not valid UTF-8 text", line)]) from None

    log = ProblemLog(max_problems)
    entries: list[ListEntry] = []
    relations: list[Relation] = []
    with contextlib.suppress(TooManyProblems):
        entries, relations = _rows(text, log)
    if not entries and not log.has_errors:
        log.warn("file", "the watch list has no rows: this version lists nothing")
    return finish(log, provenance, entries, relations)


def _header(reader: Iterator[list[str]], log: ProblemLog) -> list[str] | None:
    try:
        header = next(reader)
    except StopIteration:
        log.error("line 1", "the file is empty: a header row is required", 1)
        return None
    columns = [clean_text(name) for name in header]
    if len(columns) == 1 and ";" in columns[0]:
        log.error("line 1", "the header has a single column containing ';': separate columns with commas", 1)
        return None
    problems = len(log.errors)
    seen: set[str] = set()
    for index, column in enumerate(columns, 1):
        if column not in CSV_COLUMNS:
            hint = f" (did you mean {column.lower()!r}?)" if column.lower() in CSV_COLUMNS else ""
            log.error(
                f"line 1, column {index}",
                f"unknown column {column!r}{hint}; known columns: {', '.join(CSV_COLUMNS)}",
                1,
            )
        elif column in seen:
            log.error(f"line 1, column {index}", f"column {column!r} appears twice", 1)
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            log.error("line 1", f"required column {column!r} is missing", 1)
    return None if len(log.errors) > problems else columns


def _rows(text: str, log: ProblemLog) -> tuple[list[ListEntry], list[Relation]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns = _header(reader, log)
    except csv.Error as exc:
        log.error("line 1", f"malformed CSV: {exc}", 1)
        return [], []
    if columns is None:
        return [], []

    entries: list[ListEntry] = []
    seen: dict[str, int] = {}
    # (line, controlled id, controller ids, kinds, shares, decisive)
    pending: list[tuple[int, str, list[str], list, list, list]] = []
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            log.error(f"line {reader.line_num}", f"malformed CSV: {exc}", reader.line_num)
            break
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            log.error(f"line {start}", f"the row has {len(cells)} fields; the header has {len(columns)}", start)
            continue
        row = dict(zip(columns, cells, strict=True))
        entry, links = _row(row, start, log, seen)
        if entry is not None:
            entries.append(entry)
        entry_id = clean_text(row.get("entry_id"))
        if links is not None and entry_id:
            pending.append((start, entry_id, *links))

    relations: list[Relation] = []
    for line, controlled, controllers, kinds, shares, decisive in pending:
        for controller, kind, share, influence in zip(controllers, kinds, shares, decisive, strict=True):
            at = f"line {line}, column 'controller_entry_id'"
            if controller == controlled:
                log.error(at, f"{controlled!r} cannot control itself", line)
            elif controller not in seen:
                log.error(at, f"{controller!r} is not an entry_id of this file", line)
            elif not log.has_errors:
                relations.append(
                    Relation(
                        kind=kind,
                        controller_id=controller,
                        controlled_id=controlled,
                        share_percent=share,
                        decisive_influence=influence,
                    )
                )
    return entries, relations


def _row(
    row: dict[str, str], line: int, log: ProblemLog, seen: dict[str, int]
) -> tuple[ListEntry | None, tuple[list, list, list, list] | None]:
    problems = len(log.errors)

    def at(column: str) -> str:
        return f"line {line}, column {column!r}"

    def value(column: str) -> str:
        return row.get(column, "") or ""

    entry_id = clean_text(value("entry_id"))
    if not entry_id:
        log.error(at("entry_id"), "entry_id is empty", line)
    elif not ENTRY_ID.match(entry_id):
        log.error(at("entry_id"), f"{entry_id[:80]!r}: use letters, digits, . _ : - (at most 200 characters)", line)
    elif entry_id in seen:
        log.error(at("entry_id"), f"duplicate entry_id {entry_id!r} (first on line {seen[entry_id]})", line)
    else:
        seen[entry_id] = line

    names = NameCollector()
    names.add(value("name"))
    if not names.names:
        log.error(at("name"), "the name is empty", line)
    for alias in _split(value("aliases")):
        names.add(alias)
    for alias in _split(value("weak_aliases")):
        names.add(alias, weak=True)

    schema = clean_text(value("schema")) or "Organization"
    if schema not in ORGANISATION_SCHEMATA:
        log.error(
            at("schema"),
            f"{schema!r} is not accepted; use one of {', '.join(ORGANISATION_SCHEMATA)} "
            "(the funder watch list holds organisations only)",
            line,
        )

    listed = True
    try:
        listed = bool(parse_bool(value("listed"), True))
    except ValueError as exc:
        log.error(at("listed"), str(exc), line)

    countries = collect_countries(((at("country"), code, line) for code in _split(value("country"))), log)

    identifiers: dict[str, str] = {}
    for scheme in IDENTIFIER_SCHEMES:
        raw = clean_text(value(scheme))
        if not raw:
            continue
        normalised = normalise_identifier(scheme, raw)
        if normalised is None:
            log.error(at(scheme), f"{raw!r} is not a valid {scheme}: {IDENTIFIER_RULES[scheme]}", line)
        else:
            identifiers[scheme] = normalised

    topics = _split(value("topics"))
    for topic in topics:
        if topic not in ftm_topics():
            log.error(at("topics"), f"unknown topic {topic!r}; see the FollowTheMoney topic list", line)

    source_url = clean_text(value("source_url"))
    if source_url and clean_url(source_url) is None:
        log.error(at("source_url"), f"{source_url[:80]!r} is not an http(s) URL", line)

    links = _links(row, line, log, at)
    if len(log.errors) > problems:
        return None, links
    entry = make_entry(
        log,
        f"line {line}",
        line,
        entry_id=entry_id,
        listed=listed,
        schema_name=schema,
        names=names.names,
        weak_aliases=names.weak_aliases,
        identifiers=identifiers,
        countries=countries,
        topics=tuple(dict.fromkeys(topics)),
        programme=clean_text(value("programme")),
        reason=clean_text(value("reason")),
        source_url=source_url,
    )
    return entry, links


def _links(
    row: dict[str, str], line: int, log: ProblemLog, at: Callable[[str], str]
) -> tuple[list, list, list, list] | None:
    controllers = _split(row.get("controller_entry_id", "") or "")
    columns = ("control_kind", "control_share_percent", "decisive_influence")
    if not controllers:
        for column in columns:
            if clean_text(row.get(column, "")):
                log.error(at(column), "set without controller_entry_id", line)
        return None
    if len(set(controllers)) != len(controllers):
        log.error(at("controller_entry_id"), "the same controller is named twice", line)

    def aligned(column: str, parse: Callable[[str], Any]) -> list:
        raw = row.get(column, "") or ""
        items = [clean_text(part) for part in raw.split(";")] if clean_text(raw) else [""]
        if len(items) == 1:
            items = items * len(controllers)
        if len(items) != len(controllers):
            log.error(
                at(column), f"{len(items)} values for {len(controllers)} controllers: give one value or one each", line
            )
            return [None] * len(controllers)
        out = []
        for item in items:
            try:
                out.append(parse(item))
            except ValueError as exc:
                log.error(at(column), str(exc), line)
                out.append(None)
        return out

    def kind(item: str) -> RelationKind:
        try:
            return RelationKind(item.lower()) if item else RelationKind.ownership
        except ValueError:
            raise ValueError(f"{item!r} is not one of ownership, directorship, subsidiary") from None

    return (
        controllers,
        aligned("control_kind", kind),
        aligned("control_share_percent", parse_percent),
        aligned("decisive_influence", lambda item: parse_bool(item, None)),
    )
