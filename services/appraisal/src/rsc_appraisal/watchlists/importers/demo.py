"""The fictitious demo lists shipped in `watchlists/data/` (see its README.md): never real entities."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable

from rsc_appraisal.engine.contracts import ListKind
from rsc_appraisal.watchlists.importers import ftm, watchlist_csv
from rsc_appraisal.watchlists.importers.problems import ImportResult

# Fixed, so that importing the demo lists twice gives the same data (and the same stored version).
DEMO_RETRIEVED_AT = datetime(2025, 1, 15, tzinfo=UTC)
DEMO_VERSION = "demo-2025-01"


@dataclass(frozen=True, slots=True)
class DemoList:
    file_name: str
    file_format: str
    list_key: str
    title: str
    kind: ListKind

    @property
    def source(self) -> str:
        return f"RSC demo data (fictitious), rsc_appraisal/watchlists/data/{self.file_name}"


DEMO_LISTS: tuple[DemoList, ...] = (
    DemoList(
        "demo_funder_watchlist.csv",
        watchlist_csv.FILE_FORMAT,
        "demo-funder-watchlist",
        "DEMO funder watch list (fictitious example data)",
        ListKind.watchlist,
    ),
    DemoList(
        "demo_ftm_entities.jsonl",
        ftm.FILE_FORMAT,
        "demo-ftm-sanctions",
        "DEMO sanctions-style list, FollowTheMoney format (fictitious example data)",
        ListKind.sanctions,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoImport:
    spec: DemoList
    raw: bytes
    result: ImportResult

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def demo_file(file_name: str) -> Traversable:
    return resources.files("rsc_appraisal.watchlists").joinpath("data", file_name)


def load_demo_lists() -> tuple[DemoImport, ...]:
    """Import every shipped demo list (raises ListImportError if a shipped file is broken)."""
    out = []
    for spec in DEMO_LISTS:
        raw = demo_file(spec.file_name).read_bytes()
        importer = (
            watchlist_csv.import_watchlist_csv
            if spec.file_format == watchlist_csv.FILE_FORMAT
            else ftm.import_ftm_jsonl
        )
        result = importer(
            raw,
            list_key=spec.list_key,
            title=spec.title,
            kind=spec.kind,
            version_label=DEMO_VERSION,
            source=spec.source,
            retrieved_at=DEMO_RETRIEVED_AT,
        )
        out.append(DemoImport(spec, raw, result))
    return tuple(out)
