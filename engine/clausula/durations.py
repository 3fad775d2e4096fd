"""Durations of the clause language (`1 years + 6 months`) and moving a use's date by one.

The calendar arithmetic itself lives in `dates`; here a date that would leave the
representable range becomes an `EvaluationError` for the use, never a crash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .context import EvaluationError
from .dates import DateOutOfRange, shift


@dataclass(frozen=True, slots=True)
class Duration:
    """A duration in months and days: `1 years + 6 months` is 18 months; days stay days."""

    months: int
    days: int

    @classmethod
    def of(cls, count: int, unit: str) -> Duration:
        if unit == "days":
            return cls(0, count)
        return cls(count * (12 if unit == "years" else 1), 0)

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.months + other.months, self.days + other.days)

    def __neg__(self) -> Duration:
        return Duration(-self.months, -self.days)

    def __str__(self) -> str:
        parts = []
        if self.months:
            years, months = divmod(self.months, 12)
            parts.append(f"{years} years" if years and not months else f"{self.months} months")
        if self.days or not parts:
            parts.append(f"{self.days} days")
        return " + ".join(parts)


def advance(day: dt.date, duration: Duration) -> dt.date:
    """`day` plus a duration (months first, then days)."""
    return shifted(day, duration)


def shifted(day: dt.date, duration: Duration, sign: int = 1) -> dt.date:
    try:
        return shift(day, duration.months, duration.days, sign)
    except DateOutOfRange as error:  # a use's date near the end of time: no answer, no crash
        raise EvaluationError(str(error)) from None
