"""Shared input handling and value rules of the importers (see the package docstring for the decisions)."""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import BinaryIO, Literal
from urllib.parse import urlsplit

import pycountry
from followthemoney.types import registry
from pydantic import ValidationError

from rsc_appraisal.engine.contracts import ListEntry, ListKind, ListVersionData, Relation
from rsc_appraisal.watchlists.importers.problems import ImportProblem, ImportResult, ListImportError, ProblemLog

# bytes, a path (pathlib.Path or other os.PathLike) or a binary file object opened for reading. A plain `str`
# is refused: it is ambiguous (content or file name?).
ListSource = bytes | bytearray | memoryview | os.PathLike | BinaryIO

MiB = 2**20

IDENTIFIER_SCHEMES = ("lei", "ror", "pic", "vat", "registration")

_LIST_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
# C0/C1 control characters (NUL included): replaced by a space, then whitespace runs are collapsed.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# ------------------------------------------------------------------------------------- input


def read_source(data: ListSource, max_bytes: int) -> bytes:
    """The whole input, refused (ListImportError) when larger than `max_bytes`; the cap is checked before
    reading a file and reading stops one byte past it."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    if isinstance(data, str):
        raise TypeError("pass the file content as bytes, or a pathlib.Path, not a str")
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    elif isinstance(data, os.PathLike):
        size = os.stat(data).st_size
        if size > max_bytes:
            raise _too_large(max_bytes)
        with open(data, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    elif isinstance(data, io.IOBase) or hasattr(data, "read"):
        raw = data.read(max_bytes + 1)
        if isinstance(raw, str):
            raise TypeError("open the file in binary mode ('rb')")
    else:
        raise TypeError(f"unsupported list source: {type(data).__name__}")
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    return raw


def _too_large(max_bytes: int) -> ListImportError:
    return ListImportError(
        [ImportProblem("file", f"the file is larger than the limit of {max_bytes:,} bytes (max_bytes)")]
    )


def line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


# -------------------------------------------------------------------------------- provenance


@dataclass(frozen=True, slots=True)
class Provenance:
    list_key: str
    title: str
    kind: ListKind
    version_label: str
    source: str
    retrieved_at: datetime

    @classmethod
    def checked(
        cls, list_key: str, title: str, kind: ListKind | str, version_label: str, source: str, retrieved_at: datetime
    ) -> Provenance:
        """Caller mistakes (not file problems) raise ValueError."""
        if not isinstance(list_key, str) or not _LIST_KEY.match(list_key):
            raise ValueError(f"list_key {list_key!r} must match {_LIST_KEY.pattern}")
        for name, value in (("title", title), ("version_label", version_label), ("source", source)):
            if not isinstance(value, str) or not clean_text(value):
                raise ValueError(f"{name} must be a non-empty string")
        if not isinstance(retrieved_at, datetime) or retrieved_at.utcoffset() is None:
            raise ValueError("retrieved_at must be a timezone-aware datetime")
        return cls(
            list_key, clean_text(title), ListKind(kind), clean_text(version_label), clean_text(source), retrieved_at
        )


# -------------------------------------------------------------------------------------- text


def clean_text(value: str | None) -> str:
    """NFC, control characters (NUL included) replaced by spaces, whitespace runs collapsed, trimmed."""
    if not value:
        return ""
    value = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    return " ".join(value.split())


class NameCollector:
    """Names in order (primary first), weak aliases apart; duplicates (case-insensitive) dropped, and a weak
    alias that is also a full name is kept only as the full name."""

    def __init__(self) -> None:
        self._strong: dict[str, str] = {}
        self._weak: dict[str, str] = {}

    def add(self, value: str | None, *, weak: bool = False) -> None:
        name = clean_text(value)
        if not name:
            return
        key = name.casefold()
        target = self._weak if weak else self._strong
        target.setdefault(key, name)

    def first(self, value: str | None) -> None:
        """Make `value` the primary name (if it is one of the names)."""
        key = clean_text(value).casefold()
        if key in self._strong:
            self._strong = {key: self._strong[key], **self._strong}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._strong.values())

    @property
    def weak_aliases(self) -> tuple[str, ...]:
        return tuple(name for key, name in self._weak.items() if key not in self._strong)


def clean_url(value: str | None) -> str | None:
    """An absolute http(s) URL, or None."""
    url = clean_text(value)
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in url:
        return None
    return url


# ---------------------------------------------------------------------------------- countries


@dataclass(frozen=True, slots=True)
class CountryCheck:
    """`iso`: a valid ISO 3166-1 alpha-2 code (any case) -> upper case.
    `mapped`: a FollowTheMoney region code whose prefix is an ISO country (ua-cri, ge-ab, gb-sct...) -> that country.
    `dropped`: another code FollowTheMoney knows that has no ISO 3166-1 alpha-2 equivalent (xk, suhh, csxx, eu, zz...).
    `unknown`: anything else -> a problem."""

    status: Literal["iso", "mapped", "dropped", "unknown"]
    code: str | None = None
    label: str = ""


@cache
def _iso_alpha2() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def check_country(raw: str) -> CountryCheck:
    value = clean_text(raw)
    upper = value.upper()
    if len(upper) == 2 and upper in _iso_alpha2():
        return CountryCheck("iso", upper)
    lower = value.lower()
    label = registry.country.names.get(lower)
    if label is None:
        return CountryCheck("unknown")
    prefix = lower.split("-", 1)[0].upper()
    if "-" in lower and prefix in _iso_alpha2():
        return CountryCheck("mapped", prefix, str(label))
    return CountryCheck("dropped", None, str(label))


def collect_countries(
    values: Iterable[tuple[str | Callable[[], str], str, int | None]], log: ProblemLog, *, what: str = "country code"
) -> tuple[str, ...]:
    """`values` are (location, raw code, line) triples, the location possibly as a function (only called when
    there is something to report); unique codes in order. Unknown codes are problems; mapped and dropped codes
    are (aggregated) warnings."""
    codes: dict[str, None] = {}
    for where, raw, line in values:
        check = check_country(raw)
        if check.status == "iso":
            codes.setdefault(check.code or "", None)
            continue
        location = where() if callable(where) else where
        if check.status == "unknown":
            log.error(location, f"unknown {what} {raw!r}: expected an ISO 3166-1 alpha-2 code", line)
        elif check.status == "dropped":
            log.warn(
                location,
                f"{what} {raw!r} ({check.label}) has no ISO 3166-1 alpha-2 equivalent: left out",
                line,
                group=f"country-dropped:{raw.lower()}",
            )
        else:  # mapped
            log.warn(
                location,
                f"{what} {raw!r} ({check.label}) recorded as {check.code}",
                line,
                group=f"country-mapped:{raw.lower()}",
            )
            codes.setdefault(check.code or "", None)
    return tuple(codes)


# -------------------------------------------------------------------------------- identifiers

_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_ROR = re.compile(r"^0[a-z0-9]{6}[0-9]{2}$")
_ROR_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/", re.IGNORECASE)
_PIC = re.compile(r"^[0-9]{9}$")
_VAT = re.compile(r"^[A-Z]{2}[A-Z0-9+*]{2,13}$")

IDENTIFIER_RULES = {
    "lei": "20 characters (18 letters/digits, 2 ISO 17442 check digits); spaces removed, upper-cased",
    "ror": "ROR id, bare (0 + 6 letters/digits + 2 digits) or as https://ror.org/... URL; stored bare",
    "pic": "9-digit EU Participant Identification Code",
    "vat": "country prefix plus 2-13 letters/digits; spaces, dots and hyphens are removed",
    "registration": "free text, at most 100 characters",
}


def lei_checksum_ok(lei: str) -> bool:
    digits = "".join(str(int(ch, 36)) for ch in lei)
    return int(digits) % 97 == 1


def lei_check_digits(first18: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits completing an 18-character LEI prefix."""
    digits = "".join(str(int(ch, 36)) for ch in first18.upper() + "00")
    return f"{98 - int(digits) % 97:02d}"


def normalise_identifier(scheme: str, raw: str | None) -> str | None:
    """The canonical form of an identifier, or None if it is not valid for the scheme."""
    value = clean_text(raw)
    if not value:
        return None
    if scheme == "lei":
        value = value.replace(" ", "").upper()
        return value if _LEI.match(value) and lei_checksum_ok(value) else None
    if scheme == "ror":
        value = _ROR_PREFIX.sub("", value).strip("/").lower()
        return value if _ROR.match(value) else None
    if scheme == "pic":
        value = value.replace(" ", "")
        return value if _PIC.match(value) else None
    if scheme == "vat":
        value = re.sub(r"[\s.\-]", "", value).upper()
        return value if _VAT.match(value) else None
    if scheme == "registration":
        return value if len(value) <= 100 else None
    raise ValueError(f"unknown identifier scheme {scheme!r}")


# ------------------------------------------------------------------------------------ values

_PERCENT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*%?\s*$")


def parse_percent(raw: str | None) -> float | None:
    """'51', '51.5', '51,5', '51 %' -> float in 0..100; '' -> None; anything else raises ValueError."""
    if raw is None or not raw.strip():
        return None
    match = _PERCENT.match(raw)
    if match is None:
        raise ValueError(f"{raw!r} is not a percentage")
    value = float(match.group(1).replace(",", "."))
    if not 0 <= value <= 100:
        raise ValueError(f"{raw!r} is not between 0 and 100")
    return value


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def parse_bool(raw: str | None, default: bool | None) -> bool | None:
    """true/false, yes/no, 1/0 (any case); '' -> default; anything else raises ValueError."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a boolean (true/false)")


@cache
def ftm_topics() -> frozenset[str]:
    return frozenset(registry.topic.names)


# ------------------------------------------------------------------------------------ output


def make_entry(log: ProblemLog, location: str, line: int | None, **fields: object) -> ListEntry | None:
    try:
        return ListEntry(**fields)  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            log.error(location, f"{field}: {error['msg']}", line)
        return None


def finish(
    log: ProblemLog, provenance: Provenance, entries: Iterable[ListEntry], relations: Iterable[Relation]
) -> ImportResult:
    log.raise_if_errors()
    data = ListVersionData(
        list_key=provenance.list_key,
        title=provenance.title,
        kind=provenance.kind,
        version_label=provenance.version_label,
        source=provenance.source,
        retrieved_at=provenance.retrieved_at,
        entries=tuple(entries),
        relations=tuple(relations),
    )
    return ImportResult(data=data, warnings=log.warnings())
