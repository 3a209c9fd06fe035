"""Entity-list importers: a file in, one `ListVersionData` (engine/contracts.py) out, or nothing.

Formats (`FILE_FORMATS`):
- `eu-fsf-xml`: the EU consolidated financial sanctions list (FSF xmlFullSanctionsList_1_1) -> `import_eu_fsf_xml`
- `ftm-jsonl`: FollowTheMoney entities as JSON lines (OpenSanctions `entities.ftm.json`) -> `import_ftm_jsonl`
- `watchlist-csv`: the funder-maintained watch list (columns: `CSV_COLUMNS`, watchlists/data/README.md)
  -> `import_watchlist_csv`

Every importer is a pure function: `(data, /, *, list_key, title, kind, version_label, source, retrieved_at,
max_bytes, max_problems) -> ImportResult` (`.data`: the ListVersionData, `.warnings`: non-fatal findings).
`data` is bytes, a pathlib.Path or a binary file object. Mistakes in the provenance arguments raise ValueError;
anything wrong with the file raises `ListImportError`, whose `.problems` (at most `max_problems`, default 100)
each have a `location` (CSV `line 12, column 'country'`; JSON lines `line 7 /properties/country/0`; XML
`/export/sanctionEntity[3] (line 40)`), a `message` and the `line`. A refused file imports nothing.

Decisions common to all formats:
- Size: a file over `max_bytes` is refused before it is parsed (defaults: EU XML 64 MiB, FtM 256 MiB, CSV 16 MiB).
- Text is NFC-normalised, control characters (NUL included) become spaces, whitespace runs collapse.
- Names: primary first, then the other full names; weak aliases (EU `strong="false"`, FtM weakAlias/abbreviation,
  CSV weak_aliases) apart. Duplicates are removed case-insensitively. An entry without any name is a problem.
- Duplicate entry ids are problems. An empty EU or FtM file is a problem; an empty watch list is a warning.
- Countries: ISO 3166-1 alpha-2 in any case -> upper case. FollowTheMoney region codes whose prefix is an ISO
  country (ua-cri, ua-dpr, ge-ab, cy-trnc, md-pmr, gb-sct...) -> that country, with a warning. Other codes that
  FollowTheMoney knows but ISO 3166-1 lacks (xk, suhh, csxx, yucs, dd, zr, eu, un, zz, ...) -> left out of
  the entry with a warning, never guessed. Anything else (qq, an alpha-3 code, a country's name) is a problem.
  The same rule applies to all three formats. EU `00` means "unknown" and is ignored.
- Identifiers: schemes lei, ror, pic, vat, registration only (`IDENTIFIER_RULES`): LEI upper-case with valid
  ISO 17442 check digits; ROR stored bare (no https://ror.org/); PIC 9 digits; VAT upper-case without spaces,
  dots or hyphens. One value per scheme (the contract holds one): the first valid one is kept, others warned about.
  Invalid identifiers are problems in the funder's CSV and warnings (identifier left out) in published lists.
- Persons (EU and FtM only; the watch list holds organisations): names and identifiers, programme, topics and
  source URL only. Nothing about birth, nationality, citizenship, residence, gender or notes is read or kept
  (non-discrimination, domain.md §8); persons carry no countries.
- Relations: a relation to an id that is not an entry is a problem in the funder's CSV (its own data: a typo
  would silently lose a control link) and a warning (relation left out) in FtM files (published exports often
  leave the other party out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rsc_appraisal.engine.contracts import ListKind
from rsc_appraisal.watchlists.importers import eu_fsf, ftm, watchlist_csv
from rsc_appraisal.watchlists.importers._normalise import (
    IDENTIFIER_RULES,
    IDENTIFIER_SCHEMES,
    ListSource,
    check_country,
    normalise_identifier,
)
from rsc_appraisal.watchlists.importers.eu_fsf import import_eu_fsf_xml
from rsc_appraisal.watchlists.importers.ftm import import_ftm_jsonl
from rsc_appraisal.watchlists.importers.problems import (
    DEFAULT_MAX_PROBLEMS,
    ImportProblem,
    ImportResult,
    ListImportError,
)
from rsc_appraisal.watchlists.importers.watchlist_csv import CSV_COLUMNS, import_watchlist_csv

FILE_FORMATS = (eu_fsf.FILE_FORMAT, ftm.FILE_FORMAT, watchlist_csv.FILE_FORMAT)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MAX_PROBLEMS",
    "FILE_FORMATS",
    "IDENTIFIER_RULES",
    "IDENTIFIER_SCHEMES",
    "ImportProblem",
    "ImportResult",
    "ListImportError",
    "ListSource",
    "check_country",
    "import_eu_fsf_xml",
    "import_ftm_jsonl",
    "import_list",
    "import_watchlist_csv",
    "normalise_identifier",
]


def import_list(
    data: ListSource,
    file_format: str,
    /,
    *,
    list_key: str,
    title: str,
    version_label: str | None,
    source: str,
    retrieved_at: datetime,
    kind: ListKind | str | None = None,
    max_bytes: int | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ImportResult:
    """Dispatch on `file_format` (one of FILE_FORMATS). `kind=None` takes the format's default (sanctions for EU
    and FtM, watchlist for CSV); `version_label=None` is allowed for the EU XML only (its generationDate);
    `max_bytes=None` takes the format's default."""
    if file_format not in FILE_FORMATS:
        raise ValueError(f"unknown list format {file_format!r}; expected one of {', '.join(FILE_FORMATS)}")
    common: dict[str, Any] = {
        "list_key": list_key,
        "title": title,
        "source": source,
        "retrieved_at": retrieved_at,
        "kind": kind,
        "max_problems": max_problems,
    }
    if file_format == eu_fsf.FILE_FORMAT:
        return import_eu_fsf_xml(
            data, version_label=version_label, max_bytes=max_bytes or eu_fsf.DEFAULT_MAX_BYTES, **common
        )
    if version_label is None:
        raise ValueError(f"version_label is required for {file_format}")
    if file_format == ftm.FILE_FORMAT:
        return import_ftm_jsonl(
            data, version_label=version_label, max_bytes=max_bytes or ftm.DEFAULT_MAX_BYTES, **common
        )
    return import_watchlist_csv(
        data, version_label=version_label, max_bytes=max_bytes or watchlist_csv.DEFAULT_MAX_BYTES, **common
    )
