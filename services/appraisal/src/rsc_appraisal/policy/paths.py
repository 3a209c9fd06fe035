"""Field paths in policy conditions, checked against the engine-input models at load time.

A path is dot-separated field names, e.g. `applicant.security_policy_in_place`,
`details.data_management.sensitive_personal_data`, `applicant.largest_non_eu_funders[*].share_percent`
or `self_assessment_answers.dual_use_items`. `[*]` after a list field means "any element". After a
free-form mapping (the self-assessment answers) the next segment is a key. A typo is a load error, not
a rule that silently never fires.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_-]{0,63})(?P<star>\[\*\])?$")


class LeafKind(StrEnum):
    boolean = "boolean"
    number = "number"
    text = "text"
    enum = "enum"
    list = "list"
    mapping = "mapping"
    model = "model"
    date = "date"
    identifier = "identifier"
    any = "any"


@dataclass(frozen=True)
class Segment:
    name: str
    each: bool  # followed by [*]


@dataclass(frozen=True)
class PathInfo:
    kind: LeafKind
    element_kind: LeafKind | None  # for lists: the kind of their elements
    enum: type[Enum] | None  # the enum of the leaf (or of the list's elements)
    fans_out: bool  # the path contains [*]
    country: bool  # the leaf is a country code or a list of them


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[Segment, ...]:
    if not path or len(path) > 300:
        raise ValueError("a field path must be 1 to 300 characters")
    segments = []
    for raw in path.split("."):
        match = _SEGMENT.match(raw)
        if not match:
            raise ValueError(f"invalid path segment {raw!r} in {path!r}")
        segments.append(Segment(match.group("name"), bool(match.group("star"))))
    return tuple(segments)


def _strip(tp: Any) -> Any:
    """Remove Annotated and Optional wrappers."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
            return Any
        return tp


def _kind(tp: Any) -> tuple[LeafKind, Any]:
    """(kind, inner) where inner is the element type for lists, the value type for mappings, the model
    class for models and the enum class for enums."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin in (list, tuple):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return LeafKind.list, (args[0] if args else Any)
    if origin is dict:
        args = get_args(tp)
        return LeafKind.mapping, (args[1] if len(args) == 2 else Any)
    if tp is Any or tp is object:
        return LeafKind.any, None
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return LeafKind.model, tp
        if issubclass(tp, Enum):
            return LeafKind.enum, tp
        if tp is bool:
            return LeafKind.boolean, None
        if issubclass(tp, int | float | Decimal):
            return LeafKind.number, None
        if issubclass(tp, dt.date):
            return LeafKind.date, None
        if tp is uuid.UUID:
            return LeafKind.identifier, None
        if issubclass(tp, str):
            return LeafKind.text, None
    return LeafKind.any, None


def is_country_field(name: str) -> bool:
    """Country codes may only be tested for presence: rules never name a country (country-agnostic)."""
    return "countr" in name.lower()


def describe_path(root: type[BaseModel], path: str) -> PathInfo:
    """What a path points at under `root`, or ValueError saying what is wrong with it."""
    segments = parse_path(path)
    kind, inner = LeafKind.model, root
    fans_out = False
    for index, segment in enumerate(segments):
        if kind == LeafKind.model:
            fields = inner.model_fields
            if segment.name not in fields:
                known = ", ".join(sorted(fields))
                where = ".".join(s.name for s in segments[:index]) or root.__name__
                raise ValueError(f"{where} has no field {segment.name!r} (fields: {known})")
            kind, inner = _kind(fields[segment.name].annotation)
        elif kind == LeafKind.mapping:
            kind, inner = _kind(inner)  # the segment is a key of the mapping
        elif kind == LeafKind.any:
            pass  # free-form data: anything below may exist
        else:
            where = ".".join(s.name for s in segments[:index])
            raise ValueError(f"{where} is a {kind.value} and has no field {segment.name!r}")
        if segment.each:
            if kind == LeafKind.any:
                fans_out = True
                continue
            if kind != LeafKind.list:
                raise ValueError(f"[*] needs a list, but {segment.name} is a {kind.value}")
            kind, inner = _kind(inner)
            fans_out = True
    element_kind, enum = None, None
    if kind == LeafKind.list:
        element_kind, element = _kind(inner)
        enum = element if element_kind == LeafKind.enum else None
    elif kind == LeafKind.enum:
        enum = inner
    return PathInfo(
        kind=kind,
        element_kind=element_kind,
        enum=enum,
        fans_out=fans_out,
        country=is_country_field(segments[-1].name),
    )
