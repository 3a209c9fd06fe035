"""Evaluating policy conditions on model objects (declarations, partner attributes, researcher facts)
and on country indicators. Pure functions; the policy loader has already checked paths and operators.

Semantics: a path with `[*]` is true if any element satisfies the test. A missing value (None, or a key
absent from the self-assessment answers) satisfies only `missing` and `empty`; every comparison with a
missing value is false. Indicator conditions treat missing values the same way and report which
indicators were unknown (a `country_data_gap` rule turns those into flags).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from rsc_appraisal.engine.contracts import IndicatorValue
from rsc_appraisal.policy.paths import parse_path
from rsc_appraisal.policy.schema import AllOf, AnyOf, FieldTest, NotOf


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Hit:
    """A value a condition looked at: its field, where it is (segments under the condition's root) and value."""

    field: str
    segments: tuple[str | int, ...]
    value: Any


def resolve(root: Any, path: str) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every value the path reaches under `root`, with its segments (fanned out at [*])."""
    current: list[tuple[tuple[str | int, ...], Any]] = [((), root)]
    for segment in parse_path(path):
        following: list[tuple[tuple[str | int, ...], Any]] = []
        for segments, value in current:
            if value is None or value is MISSING:
                following.append(((*segments, segment.name), MISSING))
                continue
            if isinstance(value, BaseModel):
                child = getattr(value, segment.name, MISSING)
            elif isinstance(value, Mapping):
                child = value.get(segment.name, MISSING)
            else:
                child = MISSING
            where = (*segments, segment.name)
            if segment.each:
                if isinstance(child, list | tuple):
                    following.extend(((*where, index), item) for index, item in enumerate(child))
                # an absent or empty list has no elements: nothing to test
            else:
                following.append((where, child))
        current = following
    return current


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def check_value(op: str, actual: Any, expected: Any) -> bool:
    missing = actual is None or actual is MISSING
    if op == "missing":
        return missing
    if op == "present":
        return not missing
    if op == "empty":
        return missing or (isinstance(actual, str | list | tuple | dict) and len(actual) == 0)
    if op == "not_empty":
        return not missing and not (isinstance(actual, str | list | tuple | dict) and len(actual) == 0)
    if missing:
        return False
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if op in ("contains", "contains_any"):
        if not isinstance(actual, list | tuple):
            return False
        items = [_plain(item) for item in actual]
        wanted = expected if op == "contains_any" else [expected]
        return any(_same(item, w) for item in items for w in wanted)
    value = _plain(actual)
    if op == "equals":
        return _same(value, expected)
    if op == "not_equals":
        return not _same(value, expected)
    if op == "in":
        return any(_same(value, e) for e in expected)
    if op == "not_in":
        return not any(_same(value, e) for e in expected)
    if op in ("gt", "ge", "lt", "le"):
        if not _is_number(value) or not _is_number(expected):
            return False
        a, b = float(value), float(expected)
        return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]
    raise ValueError(f"unknown op {op!r}")


def _same(a: Any, b: Any) -> bool:
    # true/false never equal 1/0 here; numbers compare by value
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return a == b


def evaluate(condition: Any, root: Any) -> tuple[bool, list[Hit]]:
    """(result, the values that made it so)."""
    if isinstance(condition, FieldTest):
        hits = [
            Hit(condition.field, segments, value)
            for segments, value in resolve(root, condition.field)
            if check_value(condition.op, value, condition.value)
        ]
        return bool(hits), hits
    if isinstance(condition, AllOf):
        collected: list[Hit] = []
        for child in condition.all:
            ok, hits = evaluate(child, root)
            if not ok:
                return False, []
            collected.extend(hits)
        return True, collected
    if isinstance(condition, AnyOf):
        collected = []
        fired = False
        for child in condition.any:
            ok, hits = evaluate(child, root)
            fired = fired or ok
            if ok:
                collected.extend(hits)
        return fired, collected
    if isinstance(condition, NotOf):
        ok, _ = evaluate(condition.not_, root)
        if ok:
            return False, []
        looked = [
            Hit(leaf.field, segments, value)
            for leaf in _field_tests(condition.not_)
            for segments, value in resolve(root, leaf.field)
        ]
        return True, looked
    raise TypeError(f"not a condition: {condition!r}")


def _field_tests(condition: Any) -> list[FieldTest]:
    if isinstance(condition, FieldTest):
        return [condition]
    if isinstance(condition, AllOf):
        return [leaf for child in condition.all for leaf in _field_tests(child)]
    if isinstance(condition, AnyOf):
        return [leaf for child in condition.any for leaf in _field_tests(child)]
    if isinstance(condition, NotOf):
        return _field_tests(condition.not_)
    return []


def indicator_names(condition: Any) -> list[str]:
    return list(dict.fromkeys(leaf.field for leaf in _field_tests(condition)))


@dataclass(frozen=True)
class IndicatorHit:
    indicator: str
    value: IndicatorValue


def evaluate_indicators(condition: Any, indicators: Mapping[str, IndicatorValue]) -> tuple[bool, list[IndicatorHit]]:
    """A condition whose fields are indicator names; unknown values never satisfy a test."""
    if isinstance(condition, FieldTest):
        found = indicators.get(condition.field)
        if found is None or found.value is None:
            return False, []
        if check_value(condition.op, found.value, condition.value):
            return True, [IndicatorHit(condition.field, found)]
        return False, []
    if isinstance(condition, AllOf):
        collected: list[IndicatorHit] = []
        for child in condition.all:
            ok, hits = evaluate_indicators(child, indicators)
            if not ok:
                return False, []
            collected.extend(hits)
        return True, collected
    if isinstance(condition, AnyOf):
        collected = []
        fired = False
        for child in condition.any:
            ok, hits = evaluate_indicators(child, indicators)
            fired = fired or ok
            if ok:
                collected.extend(hits)
        return fired, collected
    raise TypeError(f"not an indicator condition: {condition!r}")  # 'not' is refused by the policy checks
