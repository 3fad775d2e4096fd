"""A payment's amount as a formula of the use's figures, read off its encoding.

The encoding (`encode`) writes an amount as a z3 term over the use's revenue (in cents),
generations, streams and the counts of its works or artists: sums, products by
constants, divisions by constants and `If(a > b, a, b)` for `max` (and `min`, `tiered`).
`read` turns such a term into a `Formula`: a linear part plus constant multiples of
`max`/`min` of formulas, over exact rationals; `Formula.minus` gives a difference with
what cancels cancelled, and `Formula.words` says it in plain English. A term with
anything else (a condition, a fact) is not a formula of the figures: `NotAFormula`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from ..errors import ClausulaError

#: z3 variables of the symbolic use that are figures: name → (figure, scale to its unit).
FIGURES: dict[str, tuple[str, Fraction]] = {
    "revenue.cents": ("revenue", Fraction(100)),  # cents: 100 per currency unit
    "generations": ("generations", Fraction(1)),
    "streams": ("streams", Fraction(1)),
    "atom:count:use.works": ("works", Fraction(1)),
    "atom:count:use.artists": ("artists", Fraction(1)),
    "atom:count:use.attribution": ("artists", Fraction(1)),
    "atom:count:use.touched": ("artists", Fraction(1)),
}
#: How a rate per unit of a figure is said.
UNITS = {"generations": "generation", "streams": "stream", "works": "work", "artists": "artist"}


class NotAFormula(ClausulaError, ValueError):
    """A term that is not a piecewise-linear formula of the use's figures."""


@dataclass(frozen=True)
class Pick:
    """`max` or `min` of two or more formulas."""

    kind: str  # "max" | "min"
    args: tuple[Formula, ...]


@dataclass(frozen=True)
class Formula:
    """`const + Σ rate × figure + Σ factor × pick`, exact; canonical (sorted, no zeros)."""

    const: Fraction = Fraction(0)
    rates: tuple[tuple[str, Fraction], ...] = ()
    picks: tuple[tuple[Pick, Fraction], ...] = ()

    # ------------------------------------------------------------- arithmetic
    @staticmethod
    def of(
        const: Fraction,
        rates: Mapping[str, Fraction],
        picks: Mapping[Pick, Fraction],
    ) -> Formula:
        return Formula(
            const,
            tuple(sorted((k, v) for k, v in rates.items() if v)),
            tuple(sorted(((p, f) for p, f in picks.items() if f), key=lambda x: repr(x[0]))),
        )

    def plus(self, other: Formula, factor: Fraction = Fraction(1)) -> Formula:
        """`self + factor × other`."""
        rates = dict(self.rates)
        for name, rate in other.rates:
            rates[name] = rates.get(name, Fraction(0)) + factor * rate
        picks = dict(self.picks)
        for pick, times in other.picks:
            picks[pick] = picks.get(pick, Fraction(0)) + factor * times
        return Formula.of(self.const + factor * other.const, rates, picks)

    def minus(self, other: Formula) -> Formula:
        """`self − other`, what is common cancelled."""
        return self.plus(other, Fraction(-1))

    def times(self, factor: Fraction) -> Formula:
        return Formula().plus(self, factor)

    @property
    def zero(self) -> bool:
        return not self.const and not self.rates and not self.picks

    @property
    def linear(self) -> bool:
        return not self.picks

    def at_least(self, other: Formula) -> bool:
        """Whether `self ≥ other` for every use (figures are never negative): both linear,
        and no rate nor the constant of `other` above `self`'s."""
        if not (self.linear and other.linear) or self.const < other.const:
            return False
        mine = dict(self.rates)
        return all(mine.get(name, Fraction(0)) >= rate for name, rate in other.rates) and all(
            rate >= 0 for name, rate in self.rates if name not in dict(other.rates)
        )

    def never_negative(self) -> bool:
        """Whether the formula is at least 0 for every use (figures are never negative)."""
        if self.const < 0 or any(rate < 0 for _, rate in self.rates):
            return False
        for item, factor in self.picks:
            test = any if item.kind == "max" else all
            if factor < 0 or not test(arg.never_negative() for arg in item.args):
                return False
        return True

    def simplest(self) -> Formula:
        """The same formula with a linear part taken into its one `max`/`min` when that
        says it in fewer terms: `max(a, b) − a` is `max(0, b − a)`."""
        if len(self.picks) != 1 or not (self.rates or self.const):
            return self
        item, factor = self.picks[0]
        if factor not in (1, -1):
            return self
        rest = Formula(self.const, self.rates)
        if factor == 1:
            args = [arg.plus(rest) for arg in item.args]
            absorbed = pick(item.kind, args)
        else:  # rest − max(a, b) = min(rest − a, rest − b)
            args = [rest.minus(arg) for arg in item.args]
            absorbed = pick("min" if item.kind == "max" else "max", args)
        return absorbed if _size(absorbed) < _size(self) else self

    def value(self, figures: Mapping[str, Fraction]) -> Fraction:
        """The amount for a use with these figures (`revenue` in currency units)."""
        total = self.const + sum(
            (rate * figures.get(name, Fraction(0)) for name, rate in self.rates), Fraction(0)
        )
        for pick, factor in self.picks:
            values = [arg.value(figures) for arg in pick.args]
            total += factor * (max(values) if pick.kind == "max" else min(values))
        return total

    # ------------------------------------------------------------- words
    def words(self, currency: str) -> str:
        """In plain English: "the greater of 30% of revenue and 0.002 USD per generation"."""
        parts: list[tuple[bool, str]] = []  # (negative, text)
        for name, rate in sorted(self.rates, key=lambda r: (r[0] != "revenue", r[0])):
            parts.append((rate < 0, _rate(name, abs(rate), currency)))
        for pick, factor in self.picks:
            scaled = tuple(arg.times(abs(factor)) for arg in pick.args)
            said = " and ".join(a.words(currency) for a in scaled)
            greater = "greater" if pick.kind == "max" else "lesser"
            parts.append((factor < 0, f"the {greater} of {said}"))
        if self.const:
            parts.append((self.const < 0, f"{_number(abs(self.const))} {currency}"))
        if not parts:
            return f"0 {currency}"
        out = ("minus " if parts[0][0] else "") + parts[0][1]
        for negative, text in parts[1:]:
            out += (" minus " if negative else " plus ") + text
        return out


def _size(formula: Formula) -> int:
    return (
        len(formula.rates)
        + bool(formula.const)
        + sum(_size(arg) for item, _ in formula.picks for arg in item.args)
    )


def _number(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(exact.normalize(), "f")
    if Fraction(text) != value:
        return f"{value.numerator}/{value.denominator}"
    return text


def _rate(name: str, rate: Fraction, currency: str) -> str:
    if name == "revenue":
        return f"{_number(rate * 100)}% of revenue"
    return f"{_number(rate)} {currency} per {UNITS.get(name, name)}"


def pick(kind: str, args: list[Formula]) -> Formula:
    """`max`/`min` of `args`, simplified: nested alike flattened, repeated and dominated
    arguments dropped (figures are never negative), one argument left is itself."""
    flat: list[Formula] = []
    for arg in args:
        if not arg.rates and not arg.const and len(arg.picks) == 1:
            inner, factor = arg.picks[0]
            if inner.kind == kind and factor == 1:
                flat.extend(inner.args)
                continue
        if arg not in flat:
            flat.append(arg)
    if (
        kind == "max"
        and Formula() in flat
        and any(a.never_negative() for a in flat if a.zero is False)
    ):
        flat.remove(Formula())
    kept = [
        a
        for i, a in enumerate(flat)
        if not any(
            j != i and (b.at_least(a) if kind == "max" else a.at_least(b)) and (b != a)
            for j, b in enumerate(flat)
        )
    ]
    if len(kept) == 1:
        return kept[0]
    ordered = tuple(sorted(kept, key=lambda f: ("revenue" not in dict(f.rates), repr(f))))
    return Formula(picks=((Pick(kind, ordered), Fraction(1)),))


def read(term: Any) -> Formula:
    """The formula of a z3 arithmetic term of the encoding (see the module)."""
    if z3.is_rational_value(term):
        return Formula(Fraction(term.as_fraction()))
    if z3.is_int_value(term):
        return Formula(Fraction(term.as_long()))
    if z3.is_const(term):
        name = term.decl().name()
        if name not in FIGURES:
            raise NotAFormula(f"`{name}` is not a figure of the use")
        figure, scale = FIGURES[name]
        return Formula(rates=((figure, scale),))
    kind = term.decl().kind()
    children = term.children()
    if kind == z3.Z3_OP_TO_REAL:
        return read(children[0])
    if kind == z3.Z3_OP_ADD:
        total = Formula()
        for child in children:
            total = total.plus(read(child))
        return total
    if kind == z3.Z3_OP_SUB:
        first = read(children[0])
        for child in children[1:]:
            first = first.minus(read(child))
        return first
    if kind == z3.Z3_OP_UMINUS:
        return read(children[0]).times(Fraction(-1))
    if kind == z3.Z3_OP_MUL:
        factors = [read(child) for child in children]
        variable = [f for f in factors if f.rates or f.picks]
        if len(variable) > 1:
            raise NotAFormula("a product of two figures")
        product = variable[0] if variable else Formula(Fraction(1))
        for f in factors:
            if not (f.rates or f.picks):
                product = product.times(f.const)
        return product
    if kind == z3.Z3_OP_DIV:
        divisor = read(children[1])
        if divisor.rates or divisor.picks or not divisor.const:
            raise NotAFormula("a division by a figure")
        return read(children[0]).times(1 / divisor.const)
    if kind == z3.Z3_OP_ITE:
        test, then, other = children
        order = test.decl().kind()
        if order in (z3.Z3_OP_GT, z3.Z3_OP_GE, z3.Z3_OP_LT, z3.Z3_OP_LE):
            x, y = test.children()
            bigger = order in (z3.Z3_OP_GT, z3.Z3_OP_GE)
            if x.eq(then) and y.eq(other):
                return pick("max" if bigger else "min", [read(then), read(other)])
            if x.eq(other) and y.eq(then):
                return pick("min" if bigger else "max", [read(then), read(other)])
            # `If(d > 0, b + d, b)` is `b + max(d, 0)` (a band of `tiered`).
            gap = read(x).minus(read(y)) if bigger else read(y).minus(read(x))
            chosen, otherwise = read(then), read(other)
            step = chosen.minus(otherwise)
            if step == gap:
                return otherwise.plus(pick("max", [gap, Formula()]))
            if step == gap.times(Fraction(-1)):
                return otherwise.minus(pick("max", [gap, Formula()]))
        raise NotAFormula("an amount that depends on a condition")
    raise NotAFormula(f"`{term.decl().name()}`")


def figures_of(term: Any, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each figure of `term` → its z3 term in the figure's unit (revenue in currency
    units), added to `found`; `NotAFormula` when two variables are one figure (counts of
    artists of two kinds), which a condition over the figure could not tell apart."""
    found = {} if found is None else found
    names: dict[str, str] = {}
    seen: set[int] = set()
    stack = [term]
    while stack:
        item = stack.pop()
        if item.get_id() in seen:
            continue
        seen.add(item.get_id())
        if z3.is_const(item) and item.decl().name() in FIGURES:
            name = item.decl().name()
            figure, scale = FIGURES[name]
            value = z3.ToReal(item) if item.sort() == z3.IntSort() else item
            if figure in found and not z3.eq(found[figure], value / z3.RealVal(scale)):
                raise NotAFormula(f"two variables count the {figure} ({names.get(figure)}, {name})")
            found[figure] = value / z3.RealVal(scale)
            names[figure] = name
        stack.extend(item.children())
    return found


__all__ = ["FIGURES", "Formula", "NotAFormula", "Pick", "figures_of", "pick", "read"]
