"""What a person is owed, as pure functions of dates (no database).

Periods are calendar periods: ISO weeks (Monday–Sunday), half months (1st–15th,
16th–end), months and quarters. An obligation in force since `since` is owed once
in every period that starts on or after `since` — a pairing that starts mid-month
owes its first monthly visit in the next month, not within the few days left.

On a day `today` an obligation is
- MET when a qualifying contact happened in the current period;
- UPCOMING when the current period is not yet owed (it began before `since`);
- DUE (by the end of the current period) when the previous owed period was met;
- OVERDUE when one or more owed periods before the current one passed without a
  contact since the last one: due on the end of the first of them, and
  `days_overdue` counts from that day. A contact today makes it MET again.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum

from shouwang.care.choices import Period

ONE_DAY = dt.timedelta(days=1)


class State(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    UPCOMING = "upcoming"
    MET = "met"


@functools.lru_cache(maxsize=4096)
def period_start(day: dt.date, period: str) -> dt.date:
    if period == Period.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period == Period.HALF_MONTH:
        return day.replace(day=1 if day.day <= 15 else 16)
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.QUARTER:
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    raise ValueError(f"unknown period {period!r}")


@functools.lru_cache(maxsize=4096)
def period_end(day: dt.date, period: str) -> dt.date:
    """The last day of the period containing `day`."""
    if period == Period.WEEK:
        return period_start(day, period) + dt.timedelta(days=6)
    last = calendar.monthrange(day.year, day.month)[1]
    if period == Period.HALF_MONTH:
        return day.replace(day=15 if day.day <= 15 else last)
    if period == Period.MONTH:
        return day.replace(day=last)
    if period == Period.QUARTER:
        month = (day.month - 1) // 3 * 3 + 3
        return dt.date(day.year, month, calendar.monthrange(day.year, month)[1])
    raise ValueError(f"unknown period {period!r}")


def next_period_start(day: dt.date, period: str) -> dt.date:
    return period_end(day, period) + ONE_DAY


def first_owed_start(since: dt.date, period: str) -> dt.date:
    """The start of the first period that starts on or after `since`."""
    return since if period_start(since, period) == since else next_period_start(since, period)


@dataclass(frozen=True)
class Status:
    state: State
    due_on: dt.date
    days_overdue: int = 0


def obligation_status(
    *, since: dt.date, last: dt.date | None, period: str, today: dt.date
) -> Status:
    """The state of one obligation on `today`, given when it came into force and the
    date of the last qualifying contact (None when there was none)."""
    current = period_start(today, period)
    if last is not None and current <= last <= today:
        return Status(State.MET, period_end(next_period_start(today, period), period))
    first = first_owed_start(since, period)
    if first > current:
        return Status(State.UPCOMING, period_end(first, period))
    owed_from = first if last is None else max(first, next_period_start(last, period))
    if owed_from >= current:
        return Status(State.DUE, period_end(today, period))
    due_on = period_end(owed_from, period)
    return Status(State.OVERDUE, due_on, (today - due_on).days)
