"""Working-day arithmetic: examples worked by hand, and properties over random calendars and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsc_appraisal.sla.calendars import (
    DAY,
    Holiday,
    WorkingCalendar,
    add_months,
    add_working_days,
    add_working_days_to_date,
    add_working_time,
    local_date,
    working_days_between,
    working_days_in,
    working_time_between,
)


def calendar(
    holidays: tuple[date, ...] = (), weekend: tuple[int, ...] = (6, 7), timezone: str = "UTC"
) -> WorkingCalendar:
    return WorkingCalendar(
        id="test",
        version="1",
        title="test calendar",
        timezone=timezone,
        weekend=weekend,
        holidays=tuple(Holiday(date=d, name=f"holiday {i}") for i, d in enumerate(holidays)),
    )


WEEKDAYS = calendar()
# 2027-03-26 is a Friday, 2027-03-29 the Monday after it.
EASTER = calendar((date(2027, 3, 26), date(2027, 3, 29)))
ZONED = calendar((date(2027, 3, 26),), timezone="Europe/Brussels")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------------------------------ examples


def test_whole_days_keep_the_time_of_day_and_skip_weekends() -> None:
    monday = utc(2027, 3, 1, 15)
    assert add_working_days(monday, 1, WEEKDAYS) == utc(2027, 3, 2, 15)
    assert add_working_days(monday, 5, WEEKDAYS) == utc(2027, 3, 8, 15)  # over the weekend
    assert add_working_days(monday, 20, WEEKDAYS) == utc(2027, 3, 29, 15)


def test_holidays_do_not_count() -> None:
    thursday = utc(2027, 3, 25, 9)
    assert add_working_days(thursday, 1, WEEKDAYS) == utc(2027, 3, 26, 9)
    assert add_working_days(thursday, 1, EASTER) == utc(2027, 3, 30, 9)  # Fri, Sat, Sun, Mon off
    assert working_days_between(thursday, utc(2027, 3, 30, 9), EASTER) == 1
    assert working_days_in(date(2027, 3, 22), date(2027, 3, 31), EASTER) == 6


def test_a_clock_started_on_a_non_working_day_counts_from_the_next_working_day() -> None:
    saturday = utc(2027, 3, 6, 11)
    assert working_time_between(saturday, utc(2027, 3, 8, 0), WEEKDAYS) == timedelta(0)
    # the earliest instant with one working day used: the end of Monday
    assert add_working_days(saturday, 1, WEEKDAYS) == utc(2027, 3, 9, 0)
    assert add_working_days(saturday, 0.5, WEEKDAYS) == utc(2027, 3, 8, 12)


def test_fractions_of_days() -> None:
    friday_noon = utc(2027, 3, 5, 12)
    assert add_working_days(friday_noon, 0.5, WEEKDAYS) == utc(2027, 3, 6, 0)
    assert add_working_days(friday_noon, 0.75, WEEKDAYS) == utc(2027, 3, 8, 6)
    assert working_days_between(friday_noon, utc(2027, 3, 8, 6), WEEKDAYS) == 0.75


def test_negative_spans_and_zero() -> None:
    a, b = utc(2027, 3, 1), utc(2027, 3, 10)
    assert working_time_between(b, a, WEEKDAYS) == -working_time_between(a, b, WEEKDAYS)
    assert add_working_time(a, timedelta(0), WEEKDAYS) == a
    with pytest.raises(ValueError, match="negative"):
        add_working_time(a, timedelta(days=-1), WEEKDAYS)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2027, 3, 1), 1, WEEKDAYS)


def test_working_days_count_in_the_calendars_time_zone() -> None:
    # 23:30 UTC on Thursday 25 March is already Friday (a holiday) in the calendar's zone.
    late_thursday = utc(2027, 3, 25, 23, 30)
    assert local_date(late_thursday, ZONED) == date(2027, 3, 26)
    assert working_time_between(late_thursday, utc(2027, 3, 26, 22, 0), ZONED) == timedelta(0)
    # Monday 00:00 local (summer time from 28 March: UTC+2) starts the next working day.
    assert add_working_days(late_thursday, 1, ZONED) == utc(2027, 3, 29, 22, 0)


def test_date_arithmetic() -> None:
    assert add_working_days_to_date(date(2027, 3, 25), 0, EASTER) == date(2027, 3, 25)
    assert add_working_days_to_date(date(2027, 3, 25), 1, EASTER) == date(2027, 3, 30)
    assert add_working_days_to_date(date(2027, 3, 20), 3, EASTER) == date(2027, 3, 24)


def test_months_clamp_to_the_end_of_the_month() -> None:
    assert add_months(utc(2027, 1, 31, 10), 1, WEEKDAYS) == utc(2027, 2, 28, 10)
    assert add_months(utc(2027, 5, 15), 8, WEEKDAYS) == utc(2028, 1, 15)
    # local wall time: midnight in the calendar's zone stays midnight across the DST change
    closes = datetime(2027, 1, 15, 0, 0, tzinfo=ZONED.zone)
    assert add_months(closes, 8, ZONED) == datetime(2027, 9, 15, 0, 0, tzinfo=ZONED.zone)


def test_calendar_validation() -> None:
    with pytest.raises(ValueError, match="time zone"):
        calendar(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="at least one working weekday"):
        calendar(weekend=(1, 2, 3, 4, 5, 6, 7))
    with pytest.raises(ValueError, match="listed twice"):
        calendar((date(2027, 1, 1), date(2027, 1, 1)))
    with pytest.raises(ValueError, match="ISO weekdays"):
        calendar(weekend=(0,))


# ---------------------------------------------------------------------------------------- properties

instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC))
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=200))
calendars = st.builds(
    calendar,
    holidays=st.lists(st.dates(date(2026, 1, 1), date(2030, 12, 31)), unique=True, max_size=40).map(tuple),
    weekend=st.lists(st.integers(1, 7), unique=True, max_size=3).map(tuple),
    timezone=st.sampled_from(["UTC", "Europe/Brussels", "America/Sao_Paulo", "Pacific/Auckland"]),
)


@settings(max_examples=200, deadline=None)
@given(start=instants, amount=amounts, cal=calendars)
def test_adding_then_measuring_gives_the_amount_back(start: datetime, amount: timedelta, cal: WorkingCalendar) -> None:
    end = add_working_time(start, amount, cal)
    assert end >= start
    assert working_time_between(start, end, cal) == amount


@settings(max_examples=200, deadline=None)
@given(start=instants, amount=amounts.filter(lambda a: a > timedelta(0)), cal=calendars)
def test_the_result_is_the_earliest_instant(start: datetime, amount: timedelta, cal: WorkingCalendar) -> None:
    end = add_working_time(start, amount, cal)
    before = end - timedelta(microseconds=1)
    assert working_time_between(start, before, cal) < amount
    # so the budget runs out on a working day (or at its very end)
    assert cal.is_working_day(local_date(before, cal))


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, c=instants, cal=calendars)
def test_working_time_is_additive(a: datetime, b: datetime, c: datetime, cal: WorkingCalendar) -> None:
    assert working_time_between(a, b, cal) + working_time_between(b, c, cal) == working_time_between(a, c, cal)


@settings(max_examples=200, deadline=None)
@given(start=instants, x=amounts, y=amounts)
def test_adding_is_monotone_and_composes(start: datetime, x: timedelta, y: timedelta) -> None:
    cal = EASTER
    small, large = sorted((x, y))
    assert add_working_time(start, small, cal) <= add_working_time(start, large, cal)
    assert add_working_time(add_working_time(start, x, cal), y, cal) == add_working_time(start, x + y, cal)


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, cal=calendars)
def test_working_time_never_exceeds_wall_time(a: datetime, b: datetime, cal: WorkingCalendar) -> None:
    start, end = sorted((a, b))
    # local wall-clock arithmetic: a DST change moves a span by at most an hour
    assert timedelta(0) <= working_time_between(start, end, cal) <= end - start + timedelta(hours=1)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(date(2026, 1, 1), date(2029, 12, 31)), n=st.integers(0, 120), cal=calendars)
def test_date_arithmetic_agrees_with_instants(day: date, n: int, cal: WorkingCalendar) -> None:
    last = add_working_days_to_date(day, n, cal)
    assert working_days_in(day + DAY, last, cal) == n
    assert n == 0 or cal.is_working_day(last)


@settings(max_examples=200, deadline=None)
@given(first=st.dates(date(2026, 1, 1), date(2029, 12, 31)), span=st.integers(-3, 400), cal=calendars)
def test_counting_working_days_by_weeks_agrees_with_counting_day_by_day(
    first: date, span: int, cal: WorkingCalendar
) -> None:
    last = first + timedelta(days=span)
    by_day = sum(cal.is_working_day(first + timedelta(days=i)) for i in range(span + 1))
    assert working_days_in(first, last, cal) == by_day
