"""Parameter overrides written as text, in the language's own literal syntax.

A negotiator writes `artist_pool: 30%` or `per_generation: 0.003 USD`; this module parses
the value with the clause parser (so `30%`, `0.002 USD`, `10 years`, `2027-01-01`, `true`,
`US-TN` mean exactly what they mean in a clause file), checks it against the literal the
contract declares for that parameter, and converts it to the engine's runtime form (a
percentage as a `Decimal` fraction, money as `clausula.money.Money`), ready for
`clausula.load(..., parameters=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import ast
from .checker import CheckedPolicy
from .compiler import Duration
from .diagnostics import did_you_mean
from .money import Money
from .parser import parse

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


class OverrideError(ValueError):
    """A parameter override that cannot be used; the message is one plain sentence."""


def _literal_kind(node: ast.Expr) -> type[ast.Expr] | None:
    if isinstance(node, ast.Negate) and isinstance(node.operand, ast.NumberLit):
        return ast.NumberLit
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
    if isinstance(node, ast.Negate) and isinstance(node.operand, ast.NumberLit):
        inner = runtime_value(node.operand)
        return -inner
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
    checked: CheckedPolicy, overrides: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, Any]]:
    """Check text overrides `{contract: {parameter: "30%"}}` against the declarations and
    convert them to runtime values for `clausula.load(parameters=...)`.

    Raises `OverrideError` naming the first problem: an unknown contract or parameter
    (with a suggestion), a value that is not a literal, a literal of another kind than the
    declared one, or money in another currency than the declared amount.
    """
    declared = declared_parameters(checked)
    resolved: dict[str, dict[str, Any]] = {}
    for block, values in overrides.items():
        params = declared.get(block)
        if params is None:
            hint = did_you_mean(block, declared)
            raise OverrideError(
                f"no contract or pack `{block}` is loaded" + (f"; {hint}" if hint else "")
            )
        for name, text in values.items():
            default = params.get(name)
            if default is None:
                hint = did_you_mean(name, params)
                known = ", ".join(sorted(params)) or "none"
                raise OverrideError(
                    f"`{block}` has no parameter `{name}`"
                    + (f"; {hint}" if hint else f" (its parameters: {known})")
                )
            resolved.setdefault(block, {})[name] = check_value(block, name, default, str(text))
    return resolved


def check_value(block: str, name: str, default: ast.Expr, text: str) -> Any:
    """One override value, checked against its declared default, in runtime form."""
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
    if isinstance(default, ast.MoneyLit) and isinstance(node, ast.MoneyLit):
        if node.currency != default.currency:
            raise OverrideError(
                f"{block}.{name} is an amount in {default.currency}; write it in "
                f"{default.currency}, not {node.currency}"
            )
        if node.amount < 0:
            raise OverrideError(f"{block}.{name} cannot be negative")
    if isinstance(node, ast.PercentLit) and node.value < 0:
        raise OverrideError(f"{block}.{name} cannot be negative")
    return runtime_value(node)
