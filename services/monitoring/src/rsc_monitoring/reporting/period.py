"""Reporting periods: a calendar year, a biennium (two years from the given one) or custom dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from rsc_common.http.problem import ProblemError


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)


def resolve(year: int | None, biennium: int | None, start: date | None, end: date | None) -> Period:
    given = [x is not None for x in (year, biennium)] + [start is not None or end is not None]
    if sum(given) != 1:
        raise ProblemError(422, "period-required", "Give exactly one of: year, biennium, or from and to.")
    if year is not None:
        return Period(date(year, 1, 1), date(year + 1, 1, 1), str(year))
    if biennium is not None:
        return Period(date(biennium, 1, 1), date(biennium + 2, 1, 1), f"{biennium}-{biennium + 1}")
    if start is None or end is None or start >= end:
        raise ProblemError(422, "invalid-period", "A custom period needs `from` before `to` (dates, `to` exclusive).")
    if (end - start).days > 3660:
        raise ProblemError(422, "period-too-long", "A custom period is at most ten years.")
    return Period(start, end, f"{start.isoformat()} to {end.isoformat()}")
