"""Arithmetic, comparison and display of the values clauses compute: numbers, amounts of
money, durations and sets. Compiled formulas call these for each use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .context import EvaluationError
from .durations import Duration
from .money import CurrencyMismatch, Money, new_money


def _money(amount: Decimal, currency: str) -> Money:
    return new_money(Money, (amount, currency))


def format_value(value: Any) -> str:
    """A value as a person reads it in a payment's basis."""
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}".strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset | tuple | list):
        return "(" + ", ".join(sorted(str(v) for v in value)) + ")"
    return str(value)


def format_percent(value: Any) -> str:
    """A fraction as the percentage a contract writes: 0.125 → 12.5%."""
    if not isinstance(value, Decimal):
        return str(value)
    text = format((value * 100).normalize(), "f")
    return f"{text}%"


def count_of(value: Any) -> int:
    return len(value) if isinstance(value, frozenset | tuple | list) else int(value)


def negate_value(value: Any) -> Any:
    if isinstance(value, Money):
        return _money(-value.amount, value.currency)
    return -value


def add_values(left: Any, right: Any) -> Any:
    if isinstance(left, Money) and isinstance(right, Money):
        if not left.currency:
            return _money(left.amount + right.amount, right.currency)
        if not right.currency:
            return _money(left.amount + right.amount, left.currency)
        try:
            return left + right
        except CurrencyMismatch as error:
            raise EvaluationError(str(error)) from None
    if isinstance(left, Duration) and isinstance(right, Duration):
        return left + right
    return (
        as_decimal(left) + as_decimal(right)
        if not (isinstance(left, int) and isinstance(right, int))
        else left + right
    )


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def scaled(money: Money, factor: Decimal | int) -> Money:
    return _money(money.amount * factor, money.currency)


def multiply_values(left: Any, right: Any) -> Any:
    if isinstance(left, Duration) or isinstance(right, Duration):
        duration, times = (left, right) if isinstance(left, Duration) else (right, left)
        return Duration(duration.months * times, duration.days * times)
    if isinstance(left, Money):
        return _money(left.amount * as_decimal(right), left.currency)
    if isinstance(right, Money):
        return _money(right.amount * as_decimal(left), right.currency)
    if isinstance(left, int) and isinstance(right, int):
        return left * right
    return as_decimal(left) * as_decimal(right)


def divide_values(left: Any, right: Any) -> Any:
    try:
        if isinstance(left, Money) and isinstance(right, Money):
            same_currency([left, right])
            return left.amount / right.amount
        if isinstance(left, Money):
            return _money(left.amount / as_decimal(right), left.currency)
        return as_decimal(left) / as_decimal(right)
    except (ZeroDivisionError, InvalidOperation):
        raise EvaluationError("a formula divides by zero for this use") from None


def same_currency(values: Sequence[Any]) -> None:
    currencies = {v.currency for v in values if isinstance(v, Money) and v.currency}
    if len(currencies) > 1:
        raise EvaluationError(f"cannot compare amounts in {' and '.join(sorted(currencies))}")


def order_key(value: Any) -> Any:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Duration):
        if value.months and value.days:
            raise EvaluationError(f"{value} mixes months and days and has no single length")
        return value.months if value.months else value.days
    return value


def order_keys(left: Any, right: Any) -> tuple[Any, Any]:
    """Keys to order two amounts or two durations, refusing what cannot be ordered."""
    if isinstance(left, Money) and isinstance(right, Money):
        same_currency([left, right])
    if (
        isinstance(left, Duration)
        and isinstance(right, Duration)
        and (left.months or right.months)
        and (left.days or right.days)
    ):
        raise EvaluationError(
            f"cannot compare {left} with {right}: a month has no fixed number of days"
        )
    return order_key(left), order_key(right)


def equal_values(left: Any, right: Any) -> bool:
    if isinstance(left, Money) and isinstance(right, Money):
        same_currency([left, right])
        return left.amount == right.amount
    return bool(left == right)


ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
