"""Parameter overrides written as text, in the language's own literal syntax.

A negotiator writes `artist_pool: 30%` or `per_generation: 0.003 USD`; this module parses
the value with the clause parser (so `30%`, `0.002 USD`, `10 years`, `2027-01-01`, `true`,
`US-TN` mean exactly what they mean in a clause file), checks it against the literal the
contract declares for that parameter, and converts it to the engine's runtime form (a
percentage as a `Decimal` fraction, money as `clausula.money.Money`), ready for
`clausula.load(..., parameters=...)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import ast
from .checker import CheckedPolicy
from .diagnostics import did_you_mean
from .durations import Duration
from .errors import ClausulaError
from .money import Money
from .parser import parse
from .shares import is_negative_literal, share_problem

_KINDS: dict[type[ast.Expr], str] = {
    ast.MoneyLit: "an amount of money such as 0.002 USD",
    ast.PercentLit: "a percentage such as 30%",
    ast.NumberLit: "a number such as 12 or 0.5",
    ast.DateLit: "a date such as 2027-01-01",
    ast.DurationLit: "a duration such as 10 years",
    ast.BoolLit: "true or false",
    ast.StringLit: 'a text in double quotes such as "EU"',
    ast.TerritoryLit: "a territory code such as US-TN",
    ast.PartyLit: "a party id such as party:example-label",
}


class OverrideError(ClausulaError, ValueError):
    """A parameter override that cannot be used; the message is one plain sentence, or
    several joined; `problems` holds them one by one."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


def _literal_kind(node: ast.Expr) -> type[ast.Expr] | None:
    if is_negative_literal(node):
        assert isinstance(node, ast.Negate)
        return type(node.operand)
    kind = type(node)
    return kind if kind in _KINDS else None


def parse_literal(text: str) -> ast.Expr:
    """Parse one literal value (`30%`, `0.002 USD`, `10 years`, …) with the clause parser.

    Raises `OverrideError` when the text is not a single literal.
    """
    text = text.strip()
    if not text or "\n" in text or "#" in text:
        raise OverrideError(f"`{text}` is not a single value such as 30% or 0.002 USD")
    source, diagnostics = parse(f'contract "override"\n  parameter value = {text}\n', "<override>")
    nodes = [p.value for b in source.blocks for p in b.parameters]
    if diagnostics or len(nodes) != 1 or _literal_kind(nodes[0]) is None:
        raise OverrideError(
            f"`{text}` is not a single value such as 30%, 0.002 USD, 12, 10 years or 2027-01-01"
        )
    return nodes[0]


def runtime_value(node: ast.Expr) -> Any:
    """The engine's runtime value of a literal (as the compiler makes it)."""
    if is_negative_literal(node):
        assert isinstance(node, ast.Negate)
        inner = runtime_value(node.operand)
        return Money(-inner.amount, inner.currency) if isinstance(inner, Money) else -inner
    if isinstance(node, ast.MoneyLit):
        return Money(node.amount, node.currency)
    if isinstance(node, ast.PercentLit):
        return node.value / 100
    if isinstance(node, ast.NumberLit):
        return int(node.value) if "." not in node.text else node.value
    if isinstance(node, ast.DurationLit):
        return Duration.of(node.count, node.unit)
    if isinstance(node, ast.DateLit | ast.StringLit | ast.BoolLit):
        return node.value
    if isinstance(node, ast.PartyLit):
        return node.id
    if isinstance(node, ast.TerritoryLit):
        return node.code
    raise OverrideError("not a literal value")  # pragma: no cover - parse_literal refuses it


def declared_parameters(checked: CheckedPolicy) -> dict[str, Mapping[str, ast.Expr]]:
    """`{contract or pack name: {parameter: declared literal}}` of a checked policy."""
    return {b.block.name: b.parameters for b in (*checked.contracts, *checked.jurisdictions)}


def describe(node: ast.Expr) -> str:
    """A literal as written in a clause file: `30%`, `0.002 USD`."""
    if isinstance(node, ast.Negate):
        return f"-{describe(node.operand)}"
    if isinstance(node, ast.MoneyLit):
        return f"{node.amount} {node.currency}"
    if isinstance(node, ast.PercentLit):
        return f"{node.value}%"
    if isinstance(node, ast.NumberLit):
        return node.text
    if isinstance(node, ast.DurationLit):
        return f"{node.count} {node.unit}"
    if isinstance(node, ast.DateLit):
        return node.value.isoformat()
    if isinstance(node, ast.StringLit):
        return f'"{node.value}"'
    if isinstance(node, ast.BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, ast.PartyLit):
        return node.id
    if isinstance(node, ast.TerritoryLit):
        return node.code
    return "?"  # pragma: no cover


def resolve(
    checked: CheckedPolicy, overrides: Mapping[str, Mapping[str, object]]
) -> dict[str, dict[str, Any]]:
    """Check overrides `{contract: {parameter: value}}` against the declarations and convert
    them to runtime values for the compiler. The one validation of every override: scenario
    files, `clausula.load(parameters=...)`, `load_files`, the service and the CLI.

    A value is text in the language's literal syntax (`"30%"`, `"0.003 USD"`), or a Python
    value: a percentage as its fraction (`Decimal("0.3")`), `Money`, `int`, `Decimal`,
    `bool`, `date`; an `int` or `float` is read as its text, as a scenario file's number is.
    Raises `OverrideError` naming every problem: an unknown contract or parameter (with a
    suggestion), a value that is not a literal, a literal of another kind than the declared
    one, money in another currency, a value out of range (see `check_value`).
    """
    declared = declared_parameters(checked)
    shares = {b.block.name: b.shares for b in (*checked.contracts, *checked.jurisdictions)}
    above = {
        b.block.name: {p.name for p in b.block.parameters if p.above_whole is not None}
        for b in (*checked.contracts, *checked.jurisdictions)
    }
    resolved: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for block, values in overrides.items():
        params = declared.get(block)
        if params is None:
            hint = did_you_mean(block, declared)
            problems.append(
                f"no contract or pack `{block}` is loaded" + (f"; {hint}" if hint else "")
            )
            continue
        for name, value in values.items():
            default = params.get(name)
            if default is None:
                hint = did_you_mean(name, params)
                known = ", ".join(sorted(params)) or "none"
                problems.append(
                    f"`{block}` has no parameter `{name}`"
                    + (f"; {hint}" if hint else f" (its parameters: {known})")
                )
                continue
            try:
                text = value_text(block, name, default, value)
                resolved.setdefault(block, {})[name] = check_value(
                    block,
                    name,
                    default,
                    text,
                    share=name in shares[block],
                    intended=name in above[block],
                )
            except OverrideError as error:
                problems.append(str(error))
    if problems:
        raise OverrideError("; ".join(problems), problems)
    return resolved


def value_text(block: str, name: str, default: ast.Expr, value: object) -> str:
    """A Python override value as the literal text it stands for (see `resolve`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}"
    if isinstance(value, Decimal) and value.is_finite():
        if isinstance(default, ast.PercentLit):  # the engine's form: the fraction
            return f"{value * 100}%"
        return format(value, "f")
    if isinstance(value, int | float) and not isinstance(value, Decimal):
        return repr(value)  # as a number in a scenario file is read
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    raise OverrideError(
        f"{block}.{name}: a {type(value).__name__} is not a value a parameter can take; "
        f"write it as text such as `{describe(default)}`"
    )


def check_value(
    block: str,
    name: str,
    default: ast.Expr,
    text: str,
    *,
    share: bool = False,
    intended: bool = False,
) -> Any:
    """One override value, checked against its declared default, in runtime form.

    `share`: the parameter multiplies money in the contract, so the value is held to the
    rule of shares (`clausula.shares`): no share above 100% unless the declaration says
    `above 100% intended`, none negative. A negative value is refused where the declared
    value is not negative itself.
    """
    try:
        node = parse_literal(text)
    except OverrideError as error:
        raise OverrideError(f"{block}.{name}: {error}") from None
    want, got = _literal_kind(default), _literal_kind(node)
    if want is not got:
        expected = _KINDS.get(want, "a value") if want else "a value"
        raise OverrideError(
            f"{block}.{name} is declared as {describe(default)}, so write {expected}, "
            f"not `{text.strip()}`"
        )
    plain = node.operand if isinstance(node, ast.Negate) else node
    if isinstance(default, ast.MoneyLit | ast.Negate) and isinstance(plain, ast.MoneyLit):
        declared = default.operand if isinstance(default, ast.Negate) else default
        assert isinstance(declared, ast.MoneyLit)
        if plain.currency != declared.currency:
            raise OverrideError(
                f"{block}.{name} is an amount in {declared.currency}; write it in "
                f"{declared.currency}, not {plain.currency}"
            )
    if _negative(node) and not _negative(default):
        raise OverrideError(
            f"{block}.{name} cannot be negative (it is declared as {describe(default)})"
        )
    if share:
        problem = share_problem(node, intended=intended, name=name)
        if problem is not None:
            raise OverrideError(f"{block}.{name}: {problem}")
    return runtime_value(node)


def _negative(node: ast.Expr) -> bool:
    if isinstance(node, ast.Negate):
        return not _negative(node.operand)
    value = getattr(node, "value", None) if not isinstance(node, ast.MoneyLit) else node.amount
    return isinstance(value, Decimal) and value < 0
