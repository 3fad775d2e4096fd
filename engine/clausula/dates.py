"""Date arithmetic that cannot overflow silently: every date moved by a duration goes here.

Python's dates end at 9999-12-31. A term `effective 9999-12-31 for 1 day`, a duration of
8,000 years or a use dated near the end of time would otherwise raise `OverflowError` or
`ValueError` from deep inside the engine; here they raise `DateOutOfRange`, whose message
a diagnostic or an error answer can show as it is.
"""

from __future__ import annotations

import calendar
import datetime as dt

from .errors import ClausulaError

#: The first and last dates the engine can represent.
FIRST_DATE = dt.date.min
LAST_DATE = dt.date.max


class DateOutOfRange(ClausulaError, ValueError):
    """A date moved beyond the last (or before the first) representable date."""


def _out_of_range(start: dt.date, count: int, unit: str) -> DateOutOfRange:
    unit = unit[:-1] if abs(count) == 1 else unit  # "1 day", "2 days"
    moved = f"{start.isoformat()} {'+' if count >= 0 else '-'} {abs(count):,} {unit}"
    if count >= 0:
        return DateOutOfRange(
            f"{moved} is beyond the last representable date {LAST_DATE.isoformat()}"
        )
    return DateOutOfRange(
        f"{moved} is before the first representable date {FIRST_DATE.isoformat()}"
    )


def add_duration(start: dt.date, count: int, unit: str) -> dt.date:
    """`start` plus `count` days, months or years (`count` may be negative); months and
    years keep the day of month, clamped to the month's end. Raises `DateOutOfRange`."""
    try:
        if unit == "days":
            return start + dt.timedelta(days=count)
        months = count * (12 if unit == "years" else 1)
        month_index = start.month - 1 + months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        if not FIRST_DATE.year <= year <= LAST_DATE.year:
            raise _out_of_range(start, count, unit)
        day = min(start.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day)
    except (OverflowError, ValueError) as error:
        if isinstance(error, DateOutOfRange):
            raise
        raise _out_of_range(start, count, unit) from None


def shift(day: dt.date, months: int, days: int, sign: int = 1) -> dt.date:
    """`day` plus (`sign` -1: minus) a duration of months and days, months first."""
    moved = add_duration(day, sign * months, "months") if months else day
    return add_duration(moved, sign * days, "days") if days else moved


def term_end(start: dt.date, count: int, unit: str) -> dt.date:
    """The last day of a term of `count` days, months or years from `start`: the day
    before `start` plus the duration. A term that ends on 9999-12-31 is representable even
    though the day after it is not. Raises `DateOutOfRange` naming the whole term."""
    try:
        if unit == "days":
            return add_duration(start, count - 1, "days")
        months = count * (12 if unit == "years" else 1)
        if (
            start.day == 1
            and start.year * 12 + start.month - 1 + months == (LAST_DATE.year + 1) * 12
        ):
            return LAST_DATE  # the day after the end would be 10000-01-01
        return add_duration(add_duration(start, count, unit), -1, "days")
    except DateOutOfRange:
        raise _out_of_range(start, count, unit) from None


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years of age on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
