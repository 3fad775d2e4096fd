"""A payment difference with `max`/`min` in it, split into pieces by which argument wins.

Each piece is a condition over the use's figures — a conjunction of linear inequalities
`f ≥ 0`, or alternatives of them when pieces with the same amount are merged — and the
linear formula the difference is there. `split` enumerates the choices of winner of every
`max`/`min` (nested ones too), asking `feasible` (the solver, in the caller) about each
partial choice so that empty pieces are cut as early as possible; `merged` joins pieces
with equal formulas; `condition_words` and `amount_words` say them in plain English. The
formulas are `formula.Formula`s read off the encoding: nothing here reads the language.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import z3

from ..errors import ClausulaError
from .formula import UNITS, Formula

#: The most pieces (choices of which argument of each `max`/`min` wins, that can happen)
#: a payment difference is split into; above it, the difference keeps its literal formula.
MAX_PIECES = 12

#: The order in which a condition's figure is chosen to lead it ("revenue is at least …").
LEADS = ("revenue", "generations", "streams", "works", "artists")

#: A condition: every formula of it is at least 0.
Conjunction = tuple[Formula, ...]


class TooManyPieces(ClausulaError, ValueError):
    """More pieces than `MAX_PIECES` can happen."""


@dataclass(frozen=True)
class Piece:
    """Where (any of the alternatives) the difference is `formula` (linear)."""

    where: tuple[Conjunction, ...]
    formula: Formula


def split(
    formula: Formula,
    feasible: Callable[[Conjunction], bool],
    limit: int | None = None,
) -> list[Piece]:
    """The pieces of `formula` whose condition `feasible` accepts, one per choice of the
    winner of each `max`/`min` (ties go to both: a formula is continuous, so both say the
    same there). Raises `TooManyPieces` when more than `limit` (`MAX_PIECES`) pass."""
    limit = MAX_PIECES if limit is None else limit
    return [Piece((where,), linear) for where, linear in _expand(formula, feasible, limit)]


def _expand(
    formula: Formula, feasible: Callable[[Conjunction], bool], limit: int
) -> list[tuple[Conjunction, Formula]]:
    out: list[tuple[Conjunction, Formula]] = [((), Formula(formula.const, formula.rates))]
    for item, factor in formula.picks:
        choices = _choices(item.kind, item.args, feasible, limit)
        out = [
            (tuple(dict.fromkeys(where + more)), linear.plus(chosen, factor))
            for (where, linear), (more, chosen) in itertools.product(out, choices)
            if not more or not where or feasible(where + more)
        ]
        if len(out) > limit:
            raise TooManyPieces(_too_many(len(out), limit))
    return out


def _choices(
    kind: str,
    args: Sequence[Formula],
    feasible: Callable[[Conjunction], bool],
    limit: int,
) -> list[tuple[Conjunction, Formula]]:
    """`max`/`min` of `args` piece by piece: where each argument (itself in pieces) wins."""
    expanded = [_expand(arg, feasible, limit) for arg in args]
    combinations = 1
    for pieces in expanded:
        combinations *= len(pieces)
    if combinations * len(args) > limit * limit:  # too many even to look at
        raise TooManyPieces(_too_many(combinations * len(args), limit))
    out: list[tuple[Conjunction, Formula]] = []
    for combo in itertools.product(*expanded):
        base: Conjunction = tuple(dict.fromkeys(c for where, _ in combo for c in where))
        if base and len(combo) > 1 and not feasible(base):
            continue
        for i, (_, winner) in enumerate(combo):
            wins = tuple(
                winner.minus(other) if kind == "max" else other.minus(winner)
                for j, (_, other) in enumerate(combo)
                if j != i
            )
            if feasible(base + wins):
                out.append((base + wins, winner))
                if len(out) > limit:
                    raise TooManyPieces(_too_many(len(out), limit))
    return out


def _too_many(count: int, limit: int) -> str:
    return (
        f"{count} or more pieces, by which argument of each max/min wins, "
        f"more than {limit} (MAX_PIECES)"
    )


def merged(pieces: Sequence[Piece]) -> list[Piece]:
    """Pieces with equal formulas joined (their conditions become alternatives), in the
    order each formula first appears."""
    order: dict[Formula, list[Conjunction]] = {}
    for piece in pieces:
        order.setdefault(piece.formula, []).extend(piece.where)
    return [Piece(tuple(dict.fromkeys(where)), formula) for formula, where in order.items()]


def term(formula: Formula, figures: Mapping[str, Any]) -> Any:
    """`formula` as a z3 term over the use's figures (`figures`: name → z3 term, revenue
    in currency units)."""
    total: Any = z3.RealVal(formula.const)
    for name, rate in formula.rates:
        total = total + z3.RealVal(rate) * figures[name]
    if formula.picks:
        raise ValueError("a piece's formula is linear")
    return total


# ----------------------------------------------------------------- words


def readable(value: Fraction) -> str:
    """A number exactly, readably: `0.04`, or `0.04444… (exactly 2/45)`."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(exact.normalize(), "f")
    if Fraction(text) == value:
        return text
    with localcontext() as context:  # four significant digits, cut (so "…" is true)
        context.prec, context.rounding = 4, ROUND_DOWN
        shown = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{format(shown, 'f')}… (exactly {value.numerator}/{value.denominator})"


def _lead(condition: Formula) -> tuple[str, Fraction, Formula] | None:
    """`condition ≥ 0` as `lead ≥ bound` (rate > 0) or `lead ≤ bound` (rate < 0)."""
    rates = dict(condition.rates)
    name = next((n for n in LEADS if n in rates), None)
    if name is None:
        name = next(iter(sorted(rates)), None)
    if name is None:
        return None
    rate = rates[name]
    rest = Formula(condition.const, tuple((n, r) for n, r in condition.rates if n != name))
    return name, rate, rest.times(-1 / rate)


def _bound_words(lead: str, bound: Formula, currency: str) -> str:
    """The bound a figure is compared with: money for revenue, a number for counts."""
    unit = f" {currency}" if lead == "revenue" else ""
    parts: list[tuple[bool, str]] = [
        (rate < 0, f"{readable(abs(rate))}{unit} per {UNITS.get(name, name)}")
        for name, rate in bound.rates
    ]
    if bound.const or not parts:
        parts.append((bound.const < 0, f"{readable(abs(bound.const))}{unit}"))
    out = ("minus " if parts[0][0] else "") + parts[0][1]
    for negative, text in parts[1:]:
        out += (" minus " if negative else " plus ") + text
    return out


def _single_words(lead: str, relation: str, numbers: str, per: str, currency: str) -> str:
    """A figure against one kind of term: "revenue is at least 0.02 USD per generation",
    "there are between 400 and 500 generations"."""
    per_words = f" per {UNITS.get(per, per)}" if per else ""
    if lead == "revenue":
        return f"revenue is {relation} {numbers} {currency}{per_words}"
    return f"there are {relation} {numbers} {lead}{per_words}"


def _signed(value: Fraction) -> str:
    return ("minus " if value < 0 else "") + readable(abs(value))


def condition_words(where: Conjunction, currency: str) -> str:
    """A conjunction of `f ≥ 0` in words: "revenue is at least 0.02 USD per generation";
    a lower and an upper bound of one figure by the same kind of term as "between"."""
    ranges: dict[tuple[str, str], list[Fraction | None]] = {}
    others: list[str] = []
    for condition in where:
        led = _lead(condition)
        if led is None:
            continue
        lead, rate, bound = led
        if len(bound.rates) + bool(bound.const) > 1:
            relation = "at least" if rate > 0 else "at most"
            than = _bound_words(lead, bound, currency)
            others.append(
                f"revenue is {relation} {than}"
                if lead == "revenue"
                else f"the {lead} are {relation} {than}"
            )
            continue
        per = bound.rates[0][0] if bound.rates else ""
        value = bound.rates[0][1] if bound.rates else bound.const
        low_high = ranges.setdefault((lead, per), [None, None])
        if rate > 0:  # lead ≥ value: the greatest lower bound holds
            low_high[0] = value if low_high[0] is None else max(low_high[0], value)
        else:
            low_high[1] = value if low_high[1] is None else min(low_high[1], value)
    phrases: list[str] = []
    for (lead, per), (low, high) in ranges.items():
        if low is not None and high is not None:
            relation, numbers = (
                ("exactly", _signed(low))
                if low == high
                else ("between", f"{_signed(low)} and {_signed(high)}")
            )
        elif low is not None:
            relation, numbers = "at least", _signed(low)
        else:
            assert high is not None
            relation, numbers = "at most", _signed(high)
        phrases.append(_single_words(lead, relation, numbers, per, currency))
    return " and ".join(phrases + others)


def where_words(piece: Piece, currency: str) -> str:
    """The condition of a piece: "where …", alternatives joined by "or"; "" when it holds
    everywhere in its region."""
    alternatives = [condition_words(where, currency) for where in piece.where]
    if not any(alternatives):
        return ""
    return "where " + ", or where ".join(a or "anything else" for a in alternatives)


def amount_words(formula: Formula, sign: int | None, currency: str) -> str:
    """What the new terms pay compared with the old, for a linear difference whose sign
    in its piece is `sign` (1: never below 0, -1: never above, None: either):
    "5% of revenue more", "less, by 50% of revenue minus 0.02 USD per generation", "the same"."""
    if formula.zero:
        return "the same"
    if sign is None:
        return f"a difference (new − old) of {formula.words(currency)}"
    amount = formula if sign > 0 else formula.times(Fraction(-1))
    more = "more" if sign > 0 else "less"
    said = amount.words(currency)
    if len(amount.rates) + bool(amount.const) == 1:
        return f"{said} {more}"
    return f"{more}, by {said}"


def sign_of(formula: Formula) -> int | None:
    """The sign a linear formula keeps for every use (figures are never negative), if
    its terms say so: 1, -1, or None (the solver is asked then)."""
    signs = {rate > 0 for _, rate in formula.rates} | (
        {formula.const > 0} if formula.const else set()
    )
    if signs == {True}:
        return 1
    if signs == {False}:
        return -1
    return None


__all__ = [
    "MAX_PIECES",
    "Piece",
    "TooManyPieces",
    "amount_words",
    "condition_words",
    "merged",
    "readable",
    "sign_of",
    "split",
    "term",
    "where_words",
]
