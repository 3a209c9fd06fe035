"""Working-day calendars as data, and the pure working-time arithmetic of the SLA clock.

A calendar says which local dates are working days: not a weekend day and not a listed public
holiday. Calendars are data with an id (`default`, `weekdays`, ...): no country is named in code.

Working time is measured continuously: every working date contributes its 24 wall-clock hours (in
the calendar's time zone), every other date nothing. So "20 working days after Monday 15:00" is
15:00 on the 20th working day after it, and a clock started on a Saturday starts counting on Monday
at 00:00. The arithmetic runs on local wall-clock time (each day exactly 24 h), so a DST change only
shifts an instant by the hour of the change itself; results are UTC instants.

    add_working_time(start, timedelta(days=2.5), cal)   # the earliest instant with 2.5 working days used
    add_working_days(start, 20, cal)
    working_time_between(a, b, cal) / working_days_between(a, b, cal)
    add_working_days_to_date(day, n, cal)              # the n-th working day after a date
    add_months(instant, 8, cal)                        # calendar months (time-to-grant targets)

Everything here is deterministic and free of I/O (the SLA workflow calls it from workflow code).
Whole weeks are counted at once and holidays found by bisection, so long spans stay cheap.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

CalendarId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
VersionLabel = Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")]

DAY = timedelta(days=1)
ZERO = timedelta(0)
# Guards against a calendar without working days (every day listed as a holiday): no search runs
# further than this many calendar days.
MAX_SPAN_DAYS = 366 * 50


class Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    name: str = Field(min_length=1, max_length=200)


class CalendarSpec(BaseModel):
    """A calendar as written in the calendars file (the id and version come from the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=300)
    timezone: str = Field(description="IANA time zone of the funder's working days, e.g. `UTC`.")
    weekend: tuple[int, ...] = Field(default=(6, 7), description="ISO weekdays that are not worked (1 = Monday).")
    holidays: tuple[Holiday, ...] = ()
    holidays_listed_until: date | None = Field(
        default=None, description="Holidays are listed up to this date; after it only weekends count."
    )
    example_data: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("weekend")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekend days are ISO weekdays 1 (Monday) .. 7 (Sunday)")
        if len(set(value)) != len(value):
            raise ValueError("weekend days must be unique")
        if len(value) == 7:
            raise ValueError("a calendar needs at least one working weekday")
        return tuple(sorted(value))

    @field_validator("holidays")
    @classmethod
    def _unique_sorted(cls, value: tuple[Holiday, ...]) -> tuple[Holiday, ...]:
        dates = [h.date for h in value]
        if len(set(dates)) != len(dates):
            duplicates = sorted({d for d in dates if dates.count(d) > 1})
            raise ValueError(f"holiday dates listed twice: {', '.join(map(str, duplicates))}")
        return tuple(sorted(value, key=lambda h: h.date))

    @model_validator(mode="after")
    def _listed_until_covers_holidays(self) -> CalendarSpec:
        if self.holidays_listed_until and self.holidays and self.holidays[-1].date > self.holidays_listed_until:
            raise ValueError("a holiday lies after holidays_listed_until")
        return self


class WorkingCalendar(CalendarSpec):
    """A calendar with its id and the version of the file it came from: what an SLA clock snapshots."""

    id: CalendarId
    version: VersionLabel

    _zone: ZoneInfo = PrivateAttr()
    _holiday_dates: frozenset[date] = PrivateAttr()
    _weekday_holidays: tuple[date, ...] = PrivateAttr()  # sorted; a holiday on a weekend day changes nothing
    _weekend: frozenset[int] = PrivateAttr()

    def model_post_init(self, _context: object) -> None:
        self._zone = ZoneInfo(self.timezone)
        self._holiday_dates = frozenset(h.date for h in self.holidays)
        self._weekend = frozenset(self.weekend)
        self._weekday_holidays = tuple(h.date for h in self.holidays if h.date.isoweekday() not in self._weekend)

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() not in self._weekend and day not in self._holiday_dates

    def holiday_name(self, day: date) -> str | None:
        return next((h.name for h in self.holidays if h.date == day), None)

    def working_days_in(self, first: date, last: date) -> int:
        """How many working days lie in the closed range [first, last] (whole weeks at once)."""
        if last < first:
            return 0
        weeks, rest = divmod((last - first).days + 1, 7)
        count = weeks * (7 - len(self._weekend))
        tail = first + timedelta(days=weeks * 7)
        count += sum((tail + timedelta(days=i)).isoweekday() not in self._weekend for i in range(rest))
        holidays = self._weekday_holidays
        return count - (bisect_right(holidays, last) - bisect_left(holidays, first))

    def nth_working_day(self, first: date, n: int) -> date:
        """The n-th working day (n >= 1) counting from `first` inclusive (whole weeks at once)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        per_week, day = 7 - len(self._weekend), first
        while (weeks := (n - 1) // per_week) > 0:  # these weeks hold at most n - 1 working days
            end = day + timedelta(days=7 * weeks - 1)
            n -= self.working_days_in(day, end)
            day = end + DAY
            if (day - first).days > MAX_SPAN_DAYS:
                raise ValueError(f"calendar {self.id!r}: no end within {MAX_SPAN_DAYS} days")
        for _ in range(MAX_SPAN_DAYS):
            if self.is_working_day(day):
                n -= 1
                if n == 0:
                    return day
            day += DAY
        raise ValueError(f"calendar {self.id!r}: no end within {MAX_SPAN_DAYS} days")


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def to_local(instant: datetime, cal: WorkingCalendar) -> datetime:
    """The naive local wall-clock time of an instant in the calendar's zone."""
    _require_aware(instant, "instant")
    return instant.astimezone(cal.zone).replace(tzinfo=None)


def from_local(wall: datetime, cal: WorkingCalendar) -> datetime:
    """The UTC instant of a naive local wall-clock time (fold 0 for ambiguous or skipped times)."""
    return wall.replace(tzinfo=cal.zone).astimezone(UTC)


def local_date(instant: datetime, cal: WorkingCalendar) -> date:
    return to_local(instant, cal).date()


def add_working_time(start: datetime, amount: timedelta, cal: WorkingCalendar) -> datetime:
    """The earliest instant `t >= start` with `working_time_between(start, t) == amount` (amount >= 0)."""
    _require_aware(start, "start")
    if amount < ZERO:
        raise ValueError("amount must not be negative")
    if amount == ZERO:
        return start.astimezone(UTC)
    wall = to_local(start, cal)
    remaining = amount
    if cal.is_working_day(wall.date()):
        available = datetime.combine(wall.date() + DAY, time()) - wall
        if remaining <= available:
            return from_local(wall + remaining, cal)
        remaining -= available
    # `full` whole working days, then the rest (0 < rest <= 1 day) on the working day after them
    full = -(-remaining // DAY) - 1
    last_day = cal.nth_working_day(wall.date() + DAY, full + 1)
    return from_local(datetime.combine(last_day, time()) + (remaining - full * DAY), cal)


def add_working_days(start: datetime, days: float, cal: WorkingCalendar) -> datetime:
    """`add_working_time` in working days (fractions allowed: 0.5 is half a working day)."""
    return add_working_time(start, timedelta(days=days), cal)


def working_time_between(start: datetime, end: datetime, cal: WorkingCalendar) -> timedelta:
    """Working time from `start` to `end` (negative when `end` is before `start`)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        return -working_time_between(end, start, cal)
    first, last = to_local(start, cal), to_local(end, cal)
    if first.date() >= last.date():  # same day (or a DST fold that turns the wall clock back)
        return max(ZERO, last - first) if cal.is_working_day(first.date()) else ZERO
    total = DAY * cal.working_days_in(first.date() + DAY, last.date() - DAY)
    if cal.is_working_day(first.date()):
        total += datetime.combine(first.date() + DAY, time()) - first
    if cal.is_working_day(last.date()):
        total += last - datetime.combine(last.date(), time())
    return total


def working_days_between(start: datetime, end: datetime, cal: WorkingCalendar) -> float:
    return working_time_between(start, end, cal) / DAY


def add_working_days_to_date(day: date, n: int, cal: WorkingCalendar) -> date:
    """The n-th working day after `day` (n = 0: `day` itself)."""
    if n < 0:
        raise ValueError("n must not be negative")
    return day if n == 0 else cal.nth_working_day(day + DAY, n)


def working_days_in(first: date, last: date, cal: WorkingCalendar) -> int:
    """How many working days lie in the closed range [first, last]."""
    return cal.working_days_in(first, last)


def add_months(instant: datetime, months: int, cal: WorkingCalendar) -> datetime:
    """Calendar months in local wall-clock time; the day is clamped to the month's last (31 Jan + 1 = 28/29 Feb)."""
    wall = to_local(instant, cal)
    index = wall.month - 1 + months
    year, month = wall.year + index // 12, index % 12 + 1
    day = min(wall.day, _stdlib_calendar.monthrange(year, month)[1])
    return from_local(wall.replace(year=year, month=month, day=day), cal)
