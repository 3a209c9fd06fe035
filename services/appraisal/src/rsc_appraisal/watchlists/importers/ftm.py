"""FollowTheMoney entities as JSON lines, as OpenSanctions publishes them (`entities.ftm.json`): one flat entity
per line, `{"id": ..., "schema": ..., "properties": {"name": [...], ...}, "target": true, ...}`.

Each line is checked for shape (object, string `id` matching FollowTheMoney's id pattern, string `schema`,
`properties` mapping property names to lists of strings, boolean `target`) and parsed with
`followthemoney.model.get_proxy(..., cleaned=False)`, which re-validates every value.

- Entries: entities whose schema is a LegalEntity (LegalEntity, Organization, Company, PublicBody, Person).
  `target: false` -> `listed=False` (carried as a related party only); `target` missing -> listed, with a warning.
  Names: `name` (the FollowTheMoney caption first), `alias`, `previousName`; weak aliases: `weakAlias`,
  `abbreviation`. Identifiers: `leiCode` -> lei, `vatCode` -> vat, `registrationNumber` -> registration (first
  valid value per scheme; invalid values are left out with a warning). Topics, `program` -> programme,
  `sourceUrl` -> source_url. Organisations only: countries from `country`, `jurisdiction`, `mainCountry`;
  reason from the `reason` of their Sanction entities, else `notes`.
- Persons (non-discrimination, domain.md §8): names, identifiers, topics, programme and source URL only; birth
  dates and places, nationality, citizenship, country, addresses, gender, notes... are never read.
- Relations: `Ownership` (owner -> asset, `percentage` -> share_percent; `sharesValue` is an amount, not a share,
  and is ignored), `Directorship` (director -> organization), `Control` (controller -> controlled, recorded as
  kind `subsidiary` with decisive_influence=True: the contract has no separate control kind), and the
  `parent` property of an entry (parent -> entry, kind `subsidiary`). A relation whose end is not an entry of the
  file (e.g. an export that leaves out the other party) is dropped with a warning.
- `Sanction` entities add their `program`, `reason` and `sourceUrl` to the sanctioned entry.
- Other schemata (Address, Identification, Passport, Vessel, Family, ...) and schemata unknown to the installed
  FollowTheMoney are skipped with one warning per schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from followthemoney.types import registry

from rsc_appraisal.engine.contracts import ListEntry, ListKind, Relation, RelationKind
from rsc_appraisal.watchlists.importers._normalise import (
    ListSource,
    MiB,
    NameCollector,
    Provenance,
    clean_text,
    clean_url,
    collect_countries,
    finish,
    ftm_topics,
    make_entry,
    normalise_identifier,
    parse_percent,
    read_source,
)
from rsc_appraisal.watchlists.importers.problems import DEFAULT_MAX_PROBLEMS, ImportResult, ProblemLog, TooManyProblems

FILE_FORMAT = "ftm-jsonl"
DEFAULT_MAX_BYTES = 256 * MiB

NAME_PROPS = ("name", "alias", "previousName")
WEAK_NAME_PROPS = ("weakAlias", "abbreviation")
IDENTIFIER_PROPS = {"leiCode": "lei", "vatCode": "vat", "registrationNumber": "registration"}
COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry")
# schema -> (controller property, controlled property, kind, decisive influence)
RELATION_SCHEMATA: dict[str, tuple[str, str, RelationKind, bool | None]] = {
    "Ownership": ("owner", "asset", RelationKind.ownership, None),
    "Directorship": ("director", "organization", RelationKind.directorship, None),
    "Control": ("controller", "controlled", RelationKind.subsidiary, True),
}


@cache
def _used_properties(schema: Schema) -> frozenset[str]:
    if schema.name in RELATION_SCHEMATA:
        source_prop, target_prop, kind, _ = RELATION_SCHEMATA[schema.name]
        return frozenset(
            {source_prop, target_prop, "percentage"} if kind is RelationKind.ownership else {source_prop, target_prop}
        )
    if schema.is_a("Sanction"):
        return frozenset({"entity", "program", "reason", "sourceUrl"})
    if not schema.is_a("LegalEntity"):
        return frozenset()
    used = {*NAME_PROPS, *WEAK_NAME_PROPS, *IDENTIFIER_PROPS, "topics", "program", "sourceUrl", "parent"}
    if not schema.is_a("Person"):
        used |= {*COUNTRY_PROPS, "notes"}
    return frozenset(used)


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass
class _Record:
    line: int
    proxy: EntityProxy
    properties: dict[str, list[str]]
    target: bool | None

    @property
    def schema(self) -> Schema:
        return self.proxy.schema

    def at(self, *parts: str | int) -> str:
        return f"line {self.line} {pointer(*parts)}" if parts else f"line {self.line}"


@dataclass
class _SanctionInfo:
    programmes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def import_ftm_jsonl(
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
    """Import FollowTheMoney JSON lines (bytes, path or binary file). `kind` defaults to sanctions.
    Raises ListImportError (nothing imported) on any problem."""
    provenance = Provenance.checked(
        list_key, title, ListKind.sanctions if kind is None else kind, version_label, source, retrieved_at
    )
    raw = read_source(data, max_bytes)
    log = ProblemLog(max_problems)
    entries: list[ListEntry] = []
    relations: list[Relation] = []
    try:
        records, links, sanctions = _read_lines(raw, log)
        if not records and not log.has_errors:
            log.error("file", "the file has no Person, Organization, Company, PublicBody or LegalEntity entities")
        for record in records.values():
            entry = _entry(record, sanctions.get(record.proxy.id or ""), log)
            if entry is not None:
                entries.append(entry)
        if not log.has_errors:
            relations = _relations(records, links, log)
    except TooManyProblems:
        pass
    return finish(log, provenance, entries, relations)


def _read_lines(raw: bytes, log: ProblemLog) -> tuple[dict[str, _Record], list[_Record], dict[str, _SanctionInfo]]:
    records: dict[str, _Record] = {}
    links: list[_Record] = []
    sanctions: dict[str, _SanctionInfo] = {}
    seen: dict[str, int] = {}
    for number, chunk in enumerate(raw.split(b"\n"), 1):
        if not chunk.strip():
            continue
        try:
            text = chunk.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            log.error(f"line {number}, byte {exc.start + 1}", "not valid UTF-8", number)
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            log.error(f"line {number}, column {exc.colno}", f"malformed JSON: {exc.msg}", number)
            continue
        except RecursionError:
            log.error(f"line {number}", "malformed JSON: nested too deeply", number)
            continue
        record = _record(obj, number, log, seen)
        if record is None:
            continue
        schema = record.schema
        if schema.is_a("LegalEntity"):
            records[record.proxy.id or ""] = record
        elif schema.name in RELATION_SCHEMATA:
            links.append(record)
        elif schema.is_a("Sanction"):
            for entity_id in record.proxy.get("entity"):
                info = sanctions.setdefault(entity_id, _SanctionInfo())
                info.programmes += record.proxy.get("program")
                info.reasons += record.proxy.get("reason")
                info.urls += record.proxy.get("sourceUrl")
        else:
            log.warn(
                record.at(),
                f"{schema.name} entities are not list entries or relations: skipped",
                number,
                group=f"ftm-skipped-schema:{schema.name}",
            )
    return records, links, sanctions


def _record(obj: object, number: int, log: ProblemLog, seen: dict[str, int]) -> _Record | None:
    at = f"line {number}"
    if not isinstance(obj, dict):
        log.error(at, "expected a JSON object (one FollowTheMoney entity per line)", number)
        return None
    problems = len(log.errors)
    entity_id = obj.get("id")
    if not isinstance(entity_id, str) or not entity_id:
        log.error(f"{at} /id", "missing or not a string", number)
    elif not registry.entity.validate(entity_id) or len(entity_id) > 200:
        log.error(f"{at} /id", f"{entity_id[:80]!r} is not a FollowTheMoney entity id", number)
    elif entity_id in seen:
        log.error(f"{at} /id", f"duplicate id {entity_id!r} (first on line {seen[entity_id]})", number)
    else:
        seen[entity_id] = number
    schema_name = obj.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        log.error(f"{at} /schema", "missing or not a string", number)
    properties = obj.get("properties", {})
    if not isinstance(properties, dict):
        log.error(f"{at} /properties", "must be an object", number)
        properties = {}
    for prop, values in properties.items():
        if not isinstance(values, list):
            log.error(f"{at} {pointer('properties', prop)}", "must be a list of strings", number)
            continue
        for index, value in enumerate(values):
            if not isinstance(value, str):
                log.error(
                    f"{at} {pointer('properties', prop, index)}",
                    "must be a string (nested entities are not supported: use the flat entities.ftm.json export)",
                    number,
                )
    target = obj.get("target")
    if target is not None and not isinstance(target, bool):
        log.error(f"{at} /target", "must be true or false", number)
    if len(log.errors) > problems:
        return None
    assert isinstance(entity_id, str)
    assert isinstance(schema_name, str)
    schema = model.get(schema_name)
    if schema is None:
        log.warn(
            f"{at} /schema",
            f"schema {schema_name!r} is not known to the installed FollowTheMoney model: skipped",
            number,
            group=f"ftm-unknown-schema:{schema_name}",
        )
        return None
    for prop in properties:
        if prop not in schema.properties:
            log.warn(
                f"{at} {pointer('properties', prop)}",
                f"{schema_name} has no property {prop!r}: ignored",
                number,
                group=f"ftm-unknown-prop:{schema_name}.{prop}",
            )
    # Only the properties the importer uses enter the proxy (and are validated): a person's birth date,
    # nationality or address is never even parsed.
    used = _used_properties(schema)
    properties = {prop: values for prop, values in properties.items() if prop in used}
    try:
        proxy = model.get_proxy({"id": entity_id, "schema": schema_name, "properties": properties}, cleaned=False)
    except InvalidData as exc:
        log.error(at, f"not a valid FollowTheMoney entity: {exc}", number)
        return None
    return _Record(number, proxy, properties, target)


def _entry(record: _Record, sanction: _SanctionInfo | None, log: ProblemLog) -> ListEntry | None:
    proxy, schema, number = record.proxy, record.schema, record.line
    is_person = schema.is_a("Person")
    problems = len(log.errors)

    names = NameCollector()
    for prop in NAME_PROPS:
        for value in proxy.get(prop, quiet=True):
            names.add(value)
    for prop in WEAK_NAME_PROPS:
        for value in proxy.get(prop, quiet=True):
            names.add(value, weak=True)
    names.first(proxy.caption)
    if not names.names:
        log.error(record.at("properties", "name"), f"{proxy.id}: the entity has no name", number)

    identifiers: dict[str, str] = {}
    for prop, scheme in IDENTIFIER_PROPS.items():
        if prop not in schema.properties:
            continue
        for index, raw in enumerate(record.properties.get(prop, [])):
            value = normalise_identifier(scheme, raw)
            if value is None:
                if clean_text(raw):
                    log.warn(
                        record.at("properties", prop, index),
                        f"{proxy.id}: {raw!r} is not a valid {scheme}: left out",
                        number,
                        group=f"ftm-invalid-{scheme}",
                    )
            elif scheme not in identifiers:
                identifiers[scheme] = value
            elif identifiers[scheme] != value:
                log.warn(
                    record.at("properties", prop, index),
                    f"{proxy.id}: more than one {scheme}; only the first ({identifiers[scheme]!r}) is kept",
                    number,
                    group=f"ftm-multiple-{scheme}",
                )

    topics: dict[str, None] = {}
    for index, raw in enumerate(record.properties.get("topics", [])):
        topic = clean_text(raw)
        if topic in ftm_topics():
            topics.setdefault(topic, None)
        elif topic:
            log.warn(
                record.at("properties", "topics", index),
                f"unknown FollowTheMoney topic {topic!r}: left out",
                number,
                group=f"ftm-topic:{topic}",
            )

    programmes = dict.fromkeys(filter(None, map(clean_text, proxy.get("program", quiet=True))))
    source_urls = [clean_url(url) for url in proxy.get("sourceUrl", quiet=True)]
    countries: tuple[str, ...] = ()
    reason = ""
    if sanction is not None:
        programmes.update(dict.fromkeys(filter(None, map(clean_text, sanction.programmes))))
        source_urls += [clean_url(url) for url in sanction.urls]
    if not is_person:
        pairs = [
            (partial(record.at, "properties", prop, index), raw, number)
            for prop in COUNTRY_PROPS
            if prop in schema.properties
            for index, raw in enumerate(record.properties.get(prop, []))
            if clean_text(raw)
        ]
        countries = collect_countries(pairs, log)
        reasons = dict.fromkeys(filter(None, map(clean_text, sanction.reasons if sanction else [])))
        reason = "; ".join(reasons) or " ".join(filter(None, map(clean_text, proxy.get("notes", quiet=True))))

    listed = record.target
    if listed is None:
        log.warn(
            record.at(),
            f"{proxy.id}: no 'target' flag; the entity is taken as listed",
            number,
            group="ftm-no-target",
        )
        listed = True
    if len(log.errors) > problems:
        return None
    return make_entry(
        log,
        record.at(),
        number,
        entry_id=proxy.id,
        listed=listed,
        schema_name=schema.name,
        names=names.names,
        weak_aliases=names.weak_aliases,
        identifiers=identifiers,
        countries=countries,
        topics=tuple(topics),
        programme="; ".join(programmes),
        reason=reason,
        source_url=next((url for url in source_urls if url), ""),
    )


def _relations(records: dict[str, _Record], links: list[_Record], log: ProblemLog) -> list[Relation]:
    relations: dict[tuple, Relation] = {}

    def add(record: _Record, kind: RelationKind, controller: str, controlled: str, **extra: object) -> None:
        outside = [entity_id for entity_id in (controller, controlled) if entity_id not in records]
        if outside:
            log.warn(
                record.at(),
                f"{kind} relation {controller!r} -> {controlled!r}: {', '.join(map(repr, outside))} is not a "
                "Person/Organization entity of this file: relation left out",
                record.line,
                group="ftm-relation-outside",
            )
            return
        if controller == controlled:
            log.warn(record.at(), f"{kind} relation of {controller!r} to itself: left out", record.line)
            return
        relation = Relation(kind=kind, controller_id=controller, controlled_id=controlled, **extra)  # type: ignore[arg-type]
        relations.setdefault(
            (kind, controller, controlled, relation.share_percent, relation.decisive_influence), relation
        )

    for record in links:
        source_prop, target_prop, kind, decisive = RELATION_SCHEMATA[record.schema.name]
        controllers, controlled = record.proxy.get(source_prop), record.proxy.get(target_prop)
        if not controllers or not controlled:
            log.warn(
                record.at(),
                f"{record.schema.name} {record.proxy.id!r} without {source_prop!r} or {target_prop!r}: left out",
                record.line,
                group=f"ftm-incomplete:{record.schema.name}",
            )
            continue
        share = None
        if kind is RelationKind.ownership:
            for index, raw in enumerate(record.properties.get("percentage", [])[:1]):
                try:
                    share = parse_percent(raw)
                except ValueError as exc:
                    log.warn(
                        record.at("properties", "percentage", index),
                        f"{exc}: the share is left open",
                        record.line,
                        group="ftm-percentage",
                    )
        for controller in controllers:
            for target in controlled:
                add(record, kind, controller, target, share_percent=share, decisive_influence=decisive)

    for record in records.values():
        for parent in record.proxy.get("parent", quiet=True):
            add(record, RelationKind.subsidiary, parent, record.proxy.id or "")
    return list(relations.values())
