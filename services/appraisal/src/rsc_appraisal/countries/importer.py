"""Country-profile CSV importer: long format, one indicator value per row, each with its own source.

    # version: 2026-03
    # example_data: false
    # source: Funder X country indicators, compiled from the sources named per row
    country,indicator,value,source,retrieved,note
    AA,rule_of_law_index,0.62,World Justice Project Rule of Law Index 2025,2026-02-01,

Leading `# key: value` lines are metadata (`version` and `example_data` are required unless given as
arguments, `source` is optional); other leading `#` lines are comments. Columns are exactly
`country,indicator,value,source,retrieved` plus an optional `note`. Values: `true`/`false` for boolean
indicators, a number from 0 to 1 for scores, or `unknown` (the source has no value; the engine treats it
like a missing value). Every problem is reported with its line number and nothing is returned unless
the whole file is valid: an import is all or nothing.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pycountry

from rsc_appraisal.countries.indicators import IndicatorKind, IndicatorSet, default_indicator_set
from rsc_appraisal.engine.contracts import CountryProfile, CountryProfileSet, IndicatorValue

DATA_DIR = Path(__file__).parent / "data"
EXAMPLE_PROFILES_PATH = DATA_DIR / "example-country-profiles.csv"

REQUIRED_COLUMNS = ("country", "indicator", "value", "source", "retrieved")
OPTIONAL_COLUMNS = ("note",)
UNKNOWN_VALUE = "unknown"
MAX_ISSUES = 200

_META = re.compile(r"^#\s*([a-z_]+)\s*:\s*(.*?)\s*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ImportIssue:
    line: int  # 1-based physical line in the file; 0 for problems with the file as a whole
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class CountryProfileImportError(ValueError):
    """The file is invalid; `issues` lists every problem found (nothing was imported)."""

    def __init__(self, source_name: str, issues: list[ImportIssue]) -> None:
        self.source_name = source_name
        self.issues = issues
        shown = "\n".join(f"  - {issue}" for issue in issues[:20])
        more = f"\n  ... and {len(issues) - 20} more" if len(issues) > 20 else ""
        super().__init__(f"country profiles {source_name!r} not imported, {len(issues)} problem(s):\n{shown}{more}")


def _parse_bool(raw: str) -> bool | None:
    return {"true": True, "false": False}.get(raw.lower())


def _metadata(lines: list[str]) -> tuple[dict[str, tuple[int, str]], int]:
    """Leading comment/metadata lines: ({key: (line, value)}, index of the first data line)."""
    meta: dict[str, tuple[int, str]] = {}
    index = 0
    while index < len(lines) and (not lines[index].strip() or lines[index].lstrip().startswith("#")):
        match = _META.match(lines[index].strip())
        if match:
            meta[match.group(1)] = (index + 1, match.group(2))
        index += 1
    return meta, index


def parse_country_profiles(
    text: str,
    *,
    source_name: str,
    imported_at: datetime,
    indicators: IndicatorSet | None = None,
    version_label: str | None = None,
    example_data: bool | None = None,
) -> CountryProfileSet:
    """Parse a long-format country-profile CSV into a `CountryProfileSet` or raise
    `CountryProfileImportError` listing every problem (with line numbers)."""
    indicators = indicators or default_indicator_set()
    issues: list[ImportIssue] = []
    lines = text.splitlines()
    meta, first = _metadata(lines)

    if version_label is None:
        version_label = meta.get("version", (0, ""))[1]
        if not version_label:
            issues.append(ImportIssue(0, "no version: add a '# version: <label>' line or pass version_label"))
    if example_data is None:
        line, raw = meta.get("example_data", (0, ""))
        example_data = _parse_bool(raw)
        if example_data is None:
            issues.append(
                ImportIssue(line, "add '# example_data: true' or '# example_data: false' (example files must say so)")
            )
    set_source = meta.get("source", (0, ""))[1] or source_name

    reader = csv.reader(io.StringIO("\n".join(lines[first:])))
    header = next(reader, None)
    if header is None:
        raise CountryProfileImportError(source_name, [*issues, ImportIssue(first + 1, "no header row and no data")])
    columns = [c.strip() for c in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if missing or unknown or duplicated:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if duplicated:
            parts.append(f"repeated column(s) {', '.join(duplicated)}")
        expected = ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        issues.append(ImportIssue(first + 1, f"{'; '.join(parts)} (expected header: {expected})"))
        raise CountryProfileImportError(source_name, issues)
    position = {name: columns.index(name) for name in columns}

    values: dict[str, dict[str, IndicatorValue]] = {}
    seen: dict[tuple[str, str], int] = {}
    rows = 0
    for row in reader:
        line = first + reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(issues) >= MAX_ISSUES:
            issues.append(ImportIssue(line, "too many problems: stopped here"))
            break
        if len(row) != len(columns):
            issues.append(ImportIssue(line, f"expected {len(columns)} fields, found {len(row)}"))
            continue
        rows += 1
        cell = {name: row[i].strip() for name, i in position.items()}
        row_issues: list[str] = []

        country = cell["country"]
        if not _COUNTRY.match(country) or pycountry.countries.get(alpha_2=country) is None:
            row_issues.append(f"country {country!r} is not an ISO 3166-1 alpha-2 code (upper case)")
        name = cell["indicator"]
        definition = indicators.get(name)
        if definition is None:
            row_issues.append(f"unknown indicator {name!r} (indicator set {indicators.version})")

        raw = cell["value"]
        value: bool | float | None = None
        if not raw:
            row_issues.append(f"empty value: write {UNKNOWN_VALUE!r} when the source has no value")
        elif raw.lower() == UNKNOWN_VALUE:
            value = None
        elif definition is not None and definition.kind == IndicatorKind.boolean:
            value = _parse_bool(raw)
            if value is None:
                row_issues.append(f"{name} is a boolean indicator: expected true, false or unknown, got {raw!r}")
        elif definition is not None and definition.kind == IndicatorKind.score:
            try:
                value = float(raw)
            except ValueError:
                row_issues.append(f"{name} is a score: expected a number from 0 to 1 or unknown, got {raw!r}")
            else:
                if not math.isfinite(value) or not 0 <= value <= 1:
                    row_issues.append(f"{name} is a score: {raw} is outside 0 to 1")

        if not cell["source"]:
            row_issues.append("a source is required for every value")
        retrieved: date | None = None
        if not _DATE.match(cell["retrieved"]):
            row_issues.append(f"retrieved must be a date YYYY-MM-DD, got {cell['retrieved']!r}")
        else:
            try:
                retrieved = date.fromisoformat(cell["retrieved"])
            except ValueError:
                row_issues.append(f"retrieved {cell['retrieved']!r} is not a valid date")
            else:
                if retrieved > imported_at.date():
                    row_issues.append(f"retrieved {retrieved} is after the import date {imported_at.date()}")

        key = (country, name)
        if key in seen:
            row_issues.append(f"{country} {name} was already given on line {seen[key]}")
        else:
            seen[key] = line
        if row_issues:
            issues.extend(ImportIssue(line, message) for message in row_issues)
            continue
        assert retrieved is not None
        values.setdefault(country, {})[name] = IndicatorValue(
            value=value, source=cell["source"], retrieved=retrieved, note=cell.get("note", "")
        )

    if rows == 0 and not issues:
        issues.append(ImportIssue(first + 1, "no data rows"))
    if issues:
        raise CountryProfileImportError(source_name, issues)
    profiles = {
        country: CountryProfile(country=country, indicators=dict(sorted(found.items())))
        for country, found in sorted(values.items())
    }
    return CountryProfileSet(
        version_label=version_label,
        source=set_source,
        example_data=bool(example_data),
        imported_at=imported_at,
        indicator_names=indicators.names,
        profiles=profiles,
    )


def load_country_profiles(
    path: Path,
    *,
    imported_at: datetime,
    indicators: IndicatorSet | None = None,
    version_label: str | None = None,
    example_data: bool | None = None,
) -> CountryProfileSet:
    return parse_country_profiles(
        path.read_text(encoding="utf-8-sig"),
        source_name=path.name,
        imported_at=imported_at,
        indicators=indicators,
        version_label=version_label,
        example_data=example_data,
    )


def load_example_country_profiles(*, imported_at: datetime) -> CountryProfileSet:
    """The shipped illustrative file (`example_data=True`): placeholders, never for real decisions."""
    return load_country_profiles(EXAMPLE_PROFILES_PATH, imported_at=imported_at)
