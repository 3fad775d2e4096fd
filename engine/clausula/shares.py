"""Shares of money: the values that multiply an amount, and the mistakes that change it.

A share is written with its unit (`25%`); a bare number times money (`25`) is 25 times the
amount, which is never what a lawyer writing a revenue share means. A share above the
whole (`150%`) must be declared as meant (`parameter uplift = 150%, above 100% intended`).
A negative share would make a payment negative. The checker applies this rule to every
multiplication of money in a clause file, and parameter overrides (scenario files, the
Python API) to every value that replaces a parameter used that way: one rule, one place.
"""

from __future__ import annotations

from decimal import Decimal

from . import ast

WHOLE = Decimal(100)  # 100%: a share of more than this is more than the whole amount


def is_negative_literal(node: ast.Expr) -> bool:
    """`-1`, `-5%`, `- 0.50 USD`: a minus sign in front of a number, percentage or amount."""
    return isinstance(node, ast.Negate) and isinstance(
        node.operand, ast.NumberLit | ast.PercentLit | ast.MoneyLit
    )


def _signed(node: ast.Expr) -> tuple[ast.Expr, Decimal] | None:
    """The literal and its signed value, for a number or percentage (negated or not)."""
    sign = Decimal(1)
    if is_negative_literal(node):
        assert isinstance(node, ast.Negate)
        node, sign = node.operand, Decimal(-1)
    if isinstance(node, ast.NumberLit | ast.PercentLit):
        return node, sign * node.value
    return None


def _percent(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text}%"


def share_problem(value: ast.Expr, *, intended: bool, name: str | None) -> str | None:
    """What is wrong with `value` multiplying an amount of money, or None.

    `name` is the parameter's name when `value` is a parameter's (declared or overriding)
    value, None for a literal written in the expression; `intended` whether the parameter
    says `above 100% intended`.
    """
    signed = _signed(value)
    if signed is None:
        return None
    literal, number = signed
    what = f"`{name}` is {_written(value)}" if name else _written(value)
    if isinstance(literal, ast.NumberLit) and name is not None:
        if abs(number) >= 1:
            return (
                f"{what}, a number without a unit: money multiplied by it is {_written(value)} "
                f"times the amount; did you mean `{_percent(number)}`?"
            )
        return (
            f"{what}, a number without a unit: a share of money is written as a percentage; "
            f"did you mean `{_percent(number * 100)}`?"
        )
    if number < 0:
        return (
            f"{what}: a negative share of an amount is a negative payment, which the engine "
            "refuses; subtract the amount instead"
        )
    if isinstance(literal, ast.PercentLit) and number > WHOLE and not intended:
        if name is None:
            return (
                f"{what} is more than the whole of the amount it multiplies; if that is meant, "
                f"make it a parameter and say so: `parameter uplift = {_written(value)}, "
                "above 100% intended`"
            )
        return (
            f"{what}, more than the whole of the amount it multiplies; if that is meant, "
            f"write `parameter {name} = {_written(value)}, above 100% intended`"
        )
    return None


def _written(node: ast.Expr) -> str:
    if isinstance(node, ast.Negate):
        return "-" + _written(node.operand)
    if isinstance(node, ast.PercentLit):
        return _percent(node.value)
    if isinstance(node, ast.NumberLit):
        return node.text
    return "this value"
