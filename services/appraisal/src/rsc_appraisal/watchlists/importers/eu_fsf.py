"""The EU consolidated financial sanctions list: the Commission's Financial Sanctions Files (FSF) XML,
format `xmlFullSanctionsList_1_1` (root `export` in the namespace `http://eu.europa.ec/fpi/fsd/export`).

One `sanctionEntity` becomes one entry with `entry_id` = its `logicalId` (stable across versions):

- `subjectType/@code`: `enterprise` -> schema Organization, `person` -> schema Person (anything else is a problem).
- `nameAlias/@wholeName` (or first, middle and last name when wholeName is empty): `strong="false"` names
  are weak aliases, the others names (primary = the first strong one). `strong` missing counts as strong.
- `identification` with `identificationTypeCode="regnumber"` -> identifier `registration`. Other types
  (passport, id, fiscalcode, swiftbic, imo, ...) are not matching identifiers of the contract and are left out.
- `regulation/@programme` -> programme (unique codes, `; `-joined); the first `regulation/publicationUrl` -> source_url.
- topics = (`sanction`,).
- Organisations only: countries from `address`, `identification` and `citizenship` (an organisation's
  "citizenship" is its country of registration) `@countryIso2Code` (`00` and empty mean unknown: ignored);
  reason = the entity's `remark` texts.
- Persons (non-discrimination, domain.md §8): names and registration identifiers only. Citizenship, birth
  dates and places, addresses, gender, titles, functions, remarks and identity documents are never read.

Parsing is safe: lxml without entity resolution, network access, DTD loading or huge-tree mode, and any
DOCTYPE is refused.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from rsc_appraisal.engine.contracts import ListEntry, ListKind
from rsc_appraisal.watchlists.importers._normalise import (
    ListSource,
    MiB,
    NameCollector,
    Provenance,
    clean_text,
    clean_url,
    collect_countries,
    finish,
    make_entry,
    normalise_identifier,
    parse_bool,
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

NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
FILE_FORMAT = "eu-fsf-xml"
DEFAULT_MAX_BYTES = 64 * MiB
DEFAULT_LIST_KEY = "eu-fsf"
DEFAULT_TITLE = "EU consolidated list of persons, groups and entities subject to financial sanctions"
DEFAULT_SOURCE = (
    "European Commission, Financial Sanctions Files (FSF), xmlFullSanctionsList_1_1 "
    "(https://webgate.ec.europa.eu/fsd/fsf)"
)

SUBJECT_SCHEMA = {"enterprise": "Organization", "person": "Person"}
IDENTIFICATION_SCHEMES = {"regnumber": "registration"}
UNKNOWN_COUNTRY = {"", "00"}
_POSITION_SUFFIX = re.compile(r",? line \d+, column \d+$")


def _tag(local: str) -> str:
    return f"{{{NAMESPACE}}}{local}"


def _children(element: etree._Element, local: str) -> list[etree._Element]:
    return list(element.iterchildren(_tag(local)))


def import_eu_fsf_xml(
    data: ListSource,
    /,
    *,
    retrieved_at: datetime,
    list_key: str = DEFAULT_LIST_KEY,
    title: str = DEFAULT_TITLE,
    kind: ListKind | str | None = None,
    version_label: str | None = None,
    source: str = DEFAULT_SOURCE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ImportResult:
    """Import an EU FSF XML file (bytes, path or binary file). `kind` defaults to sanctions; `version_label`
    defaults to the file's `export/@generationDate`. Raises ListImportError (nothing imported) on any problem."""
    kind = ListKind.sanctions if kind is None else kind
    Provenance.checked(list_key, title, kind, version_label or "-", source, retrieved_at)
    raw = read_source(data, max_bytes)
    root = _parse(raw)
    if version_label is None:
        version_label = clean_text(root.get("generationDate"))
        if not version_label:
            raise ListImportError(
                [ImportProblem("/export/@generationDate", "missing: pass version_label explicitly", root.sourceline)]
            )
    provenance = Provenance.checked(list_key, title, kind, version_label, source, retrieved_at)

    log = ProblemLog(max_problems)
    entries: list[ListEntry] = []
    try:
        seen: dict[str, int | None] = {}
        for index, element in enumerate(root.iterchildren(_tag("sanctionEntity")), 1):
            entry = _entry(element, f"/export/sanctionEntity[{index}]", log, seen)
            if entry is not None:
                entries.append(entry)
        if not seen and not log.has_errors:
            log.error("/export", "the file has no sanctionEntity elements", root.sourceline)
    except TooManyProblems:
        pass
    return finish(log, provenance, entries, ())


def _parse(raw: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        message = _POSITION_SUFFIX.sub("", str(exc.msg or exc))
        raise ListImportError(
            [ImportProblem(f"line {line}, column {column}", f"malformed XML: {message}", line)]
        ) from None
    if root is None:
        raise ListImportError([ImportProblem("file", "the file is empty")])
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ListImportError([ImportProblem("line 1", "a DOCTYPE (DTD or entity declarations) is not accepted", 1)])
    if root.tag != _tag("export"):
        qname = etree.QName(root)
        if qname.localname == "export":
            found = f"namespace {qname.namespace!r}" if qname.namespace else "no namespace"
            message = f"root element 'export' has {found}; expected namespace {NAMESPACE!r}"
        else:
            message = f"root element is {qname.localname!r}; expected 'export' in namespace {NAMESPACE!r}"
        raise ListImportError([ImportProblem("/" + qname.localname, message, root.sourceline)])
    return root


def _entry(element: etree._Element, path: str, log: ProblemLog, seen: dict[str, int | None]) -> ListEntry | None:
    line = element.sourceline
    where = f"{path} (line {line})"
    errors_before = len(log.errors)

    entry_id = clean_text(element.get("logicalId"))
    if not entry_id:
        log.error(where, "sanctionEntity without logicalId", line)
    elif entry_id in seen:
        log.error(where, f"duplicate logicalId {entry_id!r} (first on line {seen[entry_id]})", line)
    else:
        seen[entry_id] = line
    label = f"logicalId {entry_id!r}" if entry_id else "entity"

    subject = element.find(_tag("subjectType"))
    code = clean_text(subject.get("code")) if subject is not None else ""
    schema = SUBJECT_SCHEMA.get(code.lower())
    if schema is None:
        subject_line = subject.sourceline if subject is not None else line
        log.error(
            f"{path}/subjectType (line {subject_line})",
            f"{label}: subject type {code!r} is not 'enterprise' or 'person'" if code else f"{label}: no subject type",
            subject_line,
        )
    is_person = schema == "Person"

    names = NameCollector()
    for index, alias in enumerate(_children(element, "nameAlias"), 1):
        name = clean_text(alias.get("wholeName")) or clean_text(
            " ".join(alias.get(part) or "" for part in ("firstName", "middleName", "lastName"))
        )
        if not name:
            continue
        try:
            strong = parse_bool(alias.get("strong"), True)
        except ValueError:
            log.warn(
                f"{path}/nameAlias[{index}]/@strong (line {alias.sourceline})",
                f"{label}: strong={alias.get('strong')!r} is not a boolean: taken as a full name",
                alias.sourceline,
                group="eu-strong",
            )
            strong = True
        names.add(name, weak=not strong)
    if not names.names and names.weak_aliases:
        primary = names.weak_aliases[0]
        log.warn(where, f"{label}: only weak names; {primary!r} is used as the name", line, group="eu-weak-only")
        names.add(primary)
    if not names.names:
        log.error(where, f"{label}: no name (every nameAlias/@wholeName is empty or missing)", line)

    identifiers: dict[str, str] = {}
    for index, node in enumerate(_children(element, "identification"), 1):
        scheme = IDENTIFICATION_SCHEMES.get(clean_text(node.get("identificationTypeCode")).lower())
        if scheme is None:
            continue
        raw = node.get("number") or node.get("latinNumber")
        value = normalise_identifier(scheme, raw)
        node_where = f"{path}/identification[{index}] (line {node.sourceline})"
        if value is None:
            if clean_text(raw):
                log.warn(node_where, f"{label}: {scheme} {raw!r} is not valid: left out", node.sourceline)
            continue
        if scheme in identifiers and identifiers[scheme] != value:
            log.warn(
                node_where,
                f"{label}: more than one {scheme} identifier; only the first ({identifiers[scheme]!r}) is kept",
                node.sourceline,
                group=f"eu-multiple-{scheme}",
            )
            continue
        identifiers[scheme] = value

    programmes: dict[str, None] = {}
    source_url = ""
    for regulation in _children(element, "regulation"):
        programme = clean_text(regulation.get("programme"))
        if programme:
            programmes.setdefault(programme, None)
        if not source_url:
            source_url = clean_url(regulation.findtext(_tag("publicationUrl"))) or ""

    countries: tuple[str, ...] = ()
    reason = ""
    if not is_person:
        pairs = []
        for local in ("address", "identification", "citizenship"):
            for index, node in enumerate(_children(element, local), 1):
                code_value = clean_text(node.get("countryIso2Code"))
                if code_value not in UNKNOWN_COUNTRY:
                    location = f"{path}/{local}[{index}]/@countryIso2Code (line {node.sourceline})"
                    pairs.append((location, code_value, node.sourceline))
        countries = collect_countries(pairs, log)
        reason = " ".join(filter(None, (clean_text(remark.text) for remark in _children(element, "remark"))))

    if len(log.errors) > errors_before or schema is None:
        return None
    return make_entry(
        log,
        where,
        line,
        entry_id=entry_id,
        listed=True,
        schema_name=schema,
        names=names.names,
        weak_aliases=names.weak_aliases,
        identifiers=identifiers,
        countries=countries,
        topics=("sanction",),
        programme="; ".join(programmes),
        reason=reason,
        source_url=source_url,
    )
