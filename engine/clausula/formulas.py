"""The closures a compiled policy's expressions become, and the functions that make them.

`compiler` walks the checked AST once and picks, for each node, one of the makers here;
a decision then only calls the closures. A module of its own, apart from the compiler
(which reads the AST and the checker's types), so that the build compiles the closures
with the decision path (hatch_build.py): compiled, a formula runs without the
interpreter's frames.

A closure takes the use's `Context`. Closures of expressions that do not depend on the
use (literals, parameters, and operations on them) take `Any`: the compiler evaluates
them once, with no context at all (`None`), and keeps the value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .context import Context, EvaluationError, Fn, Missing, artists_touched
from .dates import age_on
from .durations import Duration, shifted
from .money import Money
from .values import (
    add_values,
    count_of,
    divide_values,
    equal_values,
    multiply_values,
    negate_value,
    order_key,
    order_keys,
    same_currency,
    scaled,
)

#: A test of a territory code, given the use's context.
TerritoryTest = Callable[[Context, str], bool]

# ----------------------------------------------------------------- values


def constant(value: Any) -> Fn:
    """The closure of a value that does not depend on the use."""

    def value_of(ctx: Any) -> Any:
        return value

    return value_of


def artist_id(ctx: Context) -> str:
    """`artist` (or `performer`): the artist in hand."""
    if ctx.artist_id is None:  # pragma: no cover - the checker allows it only where bound
        raise EvaluationError("no artist is in hand here")
    return ctx.artist_id


def work_id(ctx: Context) -> str:
    """`work`: the work in hand."""
    if ctx.work_id is None:  # pragma: no cover
        raise EvaluationError("no work is in hand here")
    return ctx.work_id


def weight(ctx: Context) -> Decimal:
    """`weight`: the attribution weight of the artist in hand."""
    if ctx.weight is None:  # pragma: no cover - the checker allows `weight` only where bound
        raise EvaluationError("weight is not bound here")
    return ctx.weight


def share(ctx: Context) -> Decimal:
    """`share`: the artist in hand's equal share."""
    if ctx.share is None:  # pragma: no cover
        raise EvaluationError("share is not bound here")
    return ctx.share


def _use_id(ctx: Context) -> Any:
    return ctx.use_id


def _date(ctx: Context) -> Any:
    return ctx.date


def _licensee(ctx: Context) -> Any:
    return ctx.licensee


def _purpose(ctx: Context) -> Any:
    return ctx.purpose


def _territory(ctx: Context) -> Any:
    return ctx.territory


def _works(ctx: Context) -> Any:
    return frozenset(ctx.works)


def _artists(ctx: Context) -> Any:
    return frozenset(ctx.artists)


def _attribution(ctx: Context) -> Any:
    return frozenset(ctx.attribution)


def _touched(ctx: Context) -> Any:
    return frozenset(artists_touched(ctx)[0])


def _context(ctx: Context) -> Any:
    return ctx.context


def _commercial(ctx: Context) -> Any:
    return ctx.commercial


def _revenue(ctx: Context) -> Any:
    return ctx.revenue


def _generations(ctx: Context) -> Any:
    return ctx.generations


def _streams(ctx: Context) -> Any:
    return ctx.streams


_USE_FIELDS: dict[str, Fn] = {
    "use.id": _use_id,
    "use.date": _date,
    "use.licensee": _licensee,
    "use.purpose": _purpose,
    "use.territory": _territory,
    "use.works": _works,
    "use.artists": _artists,
    "use.attribution": _attribution,
    "use.touched": _touched,
    "use.context": _context,
    "use.commercial": _commercial,
    "use.revenue": _revenue,
    "use.metrics.revenue": _revenue,
    "use.generations": _generations,
    "use.metrics.generations": _generations,
    "use.streams": _streams,
    "use.metrics.streams": _streams,
}


def use_path(dotted: str) -> Fn:
    """A `use.…` path: a field of the use, one of its output flags, or one of its facts
    (`Missing` when the use does not give it)."""
    field = _USE_FIELDS.get(dotted)
    if field is not None:
        return field
    parts = dotted.split(".")
    name = parts[2]
    if dotted.startswith("use.output."):

        def output_flag(ctx: Context) -> Any:
            return getattr(ctx.output, name)

        return output_flag

    def read_fact(ctx: Context) -> Any:
        value = ctx.facts.get(name)
        if value is None:
            raise Missing(f"use.facts.{name}")
        return value

    return read_fact


def variable_path(variable: str, field: str) -> Fn:
    """`artist.age`, `work.tdm_reserved`: a field of the one in hand, from the data files."""
    if variable == "work":
        if field == "id":
            return work_id

        def work_field(ctx: Context) -> Any:
            work = ctx.catalogue.works.get(work_id(ctx))
            if work is None:
                raise Missing(f"{ctx.work_id} (not in the catalogue)", unknown_entity=True)
            value = getattr(work, field)
            if value is None:
                raise Missing(f"{field} of {work.id}")
            return value

        return work_field
    if field == "id":
        return artist_id
    read = _party_field(field)

    def party_field(ctx: Context) -> Any:
        party = ctx.catalogue.party(artist_id(ctx))
        if party is None:
            raise Missing(f"{ctx.artist_id} (not in the parties data)", unknown_entity=True)
        return read(party, ctx)

    return party_field


def _party_field(field: str) -> Callable[[Any, Context], Any]:
    if field == "deceased":
        return _deceased
    if field == "age":
        return _age
    if field == "minor":
        return _minor

    def simple(party: Any, ctx: Context) -> Any:
        value = getattr(party, field)
        if value is None:
            raise Missing(f"{field} of {party.id}")
        return value

    return simple


def _deceased(party: Any, ctx: Context) -> bool:
    return party.death_date is not None and bool(party.death_date <= ctx.date)


def _age(party: Any, ctx: Context) -> int:
    if party.birth_date is None:
        raise Missing(f"birth_date of {party.id}")
    return age_on(party.birth_date, ctx.date)


def _minor(party: Any, ctx: Context) -> bool:
    return _age(party, ctx) < 18


def memoized(fn: Fn, key: int) -> Fn:
    """`fn`, computed once per decision (kept in the context's memo under `key`)."""

    def memo(ctx: Context) -> Any:
        cache = ctx.memo
        if key in cache:
            return cache[key]
        value = cache[key] = fn(ctx)
        return value

    return memo


# ----------------------------------------------------------------- operations


def negated(inner: Fn) -> Fn:
    """`-x`."""

    def negative(ctx: Any) -> Any:
        return negate_value(inner(ctx))

    return negative


def inverted(inner: Fn) -> Fn:
    """`not x`."""

    def opposite(ctx: Any) -> bool:
        return not inner(ctx)

    return opposite


def set_of(items: Sequence[Fn]) -> Fn:
    """`(a, b, c)`."""
    fixed = tuple(items)

    def members(ctx: Any) -> frozenset[Any]:
        return frozenset([item(ctx) for item in fixed])

    return members


def later(left: Fn, right: Fn) -> Fn:
    """`date + duration`."""

    def date_after(ctx: Any) -> dt.date:
        return shifted(left(ctx), right(ctx))

    return date_after


def earlier(left: Fn, right: Fn) -> Fn:
    """`date - duration`."""

    def date_before(ctx: Any) -> dt.date:
        return shifted(left(ctx), right(ctx), -1)

    return date_before


def days_between(left: Fn, right: Fn) -> Fn:
    """`date - date`: a duration in days."""

    def between(ctx: Any) -> Duration:
        return Duration(0, (left(ctx) - right(ctx)).days)

    return between


def added(left: Fn, right: Fn) -> Fn:
    """`a + b`."""

    def plus(ctx: Any) -> Any:
        return add_values(left(ctx), right(ctx))

    return plus


def subtracted(left: Fn, right: Fn) -> Fn:
    """`a - b`."""

    def minus(ctx: Any) -> Any:
        return add_values(left(ctx), negate_value(right(ctx)))

    return minus


def scaled_money(money: Fn, factor: Fn) -> Fn:
    """An amount times a number (the static types say which operand is the amount)."""

    def times(ctx: Any) -> Money:
        return scaled(money(ctx), factor(ctx))

    return times


def product(left: Fn, right: Fn) -> Fn:
    """Two numbers multiplied."""

    def times(ctx: Any) -> Any:
        return left(ctx) * right(ctx)

    return times


def multiplied(left: Fn, right: Fn) -> Fn:
    """`a * b`, of types only the values tell."""

    def times(ctx: Any) -> Any:
        return multiply_values(left(ctx), right(ctx))

    return times


def divided(left: Fn, right: Fn) -> Fn:
    """`a / b`."""

    def over(ctx: Any) -> Any:
        return divide_values(left(ctx), right(ctx))

    return over


def per_unit_money(rate: Fn, count: Fn) -> Fn:
    """`0.002 USD per stream`: an amount times a count of the use."""

    def owed(ctx: Any) -> Money:
        return scaled(rate(ctx), count_of(count(ctx)))

    return owed


def per_unit(rate: Fn, count: Fn) -> Fn:
    """A rate that is not an amount, times a count of the use."""

    def owed(ctx: Any) -> Any:
        return multiply_values(rate(ctx), count_of(count(ctx)))

    return owed


def tiered(base: Fn, tiers: Sequence[tuple[Decimal | None, Fn]]) -> Fn:
    """`tiered base: rate up to limit, …`: each band of the base at its own rate."""
    bands = tuple(tiers)

    def tiered_amount(ctx: Any) -> Any:
        quantity = base(ctx)
        amount = quantity.amount if isinstance(quantity, Money) else Decimal(quantity)
        total: Any = None
        lower = Decimal(0)
        for limit, rate in bands:
            upper = amount if limit is None else min(amount, limit)
            if upper <= lower:
                break
            band = upper - lower
            band_value = Money(band, quantity.currency) if isinstance(quantity, Money) else band
            part = multiply_values(rate(ctx), band_value)
            total = part if total is None else add_values(total, part)
            if limit is None:
                break
            lower = limit
        if total is None:
            first_rate = bands[0][1](ctx)
            return multiply_values(
                first_rate,
                Money(Decimal(0), quantity.currency) if isinstance(quantity, Money) else 0,
            )
        return total

    return tiered_amount


def counted(arg: Fn) -> Fn:
    """`count(x)`."""

    def size(ctx: Any) -> int:
        return len(arg(ctx))

    return size


def extreme_amount(args: Sequence[Fn], larger: bool) -> Fn:
    """`max(…)` (`larger`) or `min(…)` of amounts: the first of equal amounts, as `max`
    and `min` pick."""
    fixed = tuple(args)

    def pick(ctx: Any) -> Any:
        values = [a(ctx) for a in fixed]
        best = values[0]
        for other in values[1:]:
            if other.currency != best.currency:
                same_currency(values)  # raises unless one is of no currency
            if (other.amount > best.amount) if larger else (other.amount < best.amount):
                best = other
        return best

    return pick


def extreme(args: Sequence[Fn], larger: bool) -> Fn:
    """`max(…)` or `min(…)` of values other than amounts."""
    fixed = tuple(args)
    choose = max if larger else min

    def pick(ctx: Any) -> Any:
        values = [a(ctx) for a in fixed]
        same_currency(values)
        for other in values[1:]:
            order_keys(values[0], other)
        return choose(values, key=order_key)

    return pick


# ----------------------------------------------------------------- conditions


def territory_in(left: Fn, member: TerritoryTest, negate: bool) -> Fn:
    """`x in <territories>` (`not in` when `negate`)."""

    def inside(ctx: Any) -> bool:
        value = left(ctx)
        if value is None:
            raise Missing("territory")
        return member(ctx, value) != negate

    return inside


def in_territory_set(territory_set: Any) -> TerritoryTest:
    """A test against territories the policy names as literals."""

    def contains(ctx: Any, code: str) -> bool:
        return bool(territory_set.contains(code))

    return contains


def in_territories_of(value: Fn, registry: Any) -> TerritoryTest:
    """A test against territories an expression gives, per decision."""

    def contains(ctx: Any, code: str) -> bool:
        names = value(ctx)
        names = names if isinstance(names, frozenset) else [names]
        return bool(registry.territory_set(names).contains(code))

    return contains


def member_in(left: Fn, right: Fn, negate: bool) -> Fn:
    """`x in collection` (`not in` when `negate`)."""

    def inside(ctx: Any) -> Any:
        return (left(ctx) in right(ctx)) != negate

    return inside


def equal_to_constant(left: Fn, value: Any, negate: bool) -> Fn:
    """`x is value` (`is not` when `negate`), of a plain value."""

    def equal(ctx: Any) -> Any:
        return (left(ctx) == value) != negate

    return equal


def equal_plain(left: Fn, right: Fn, negate: bool) -> Fn:
    """`x is y` (`is not` when `negate`), of plain values."""

    def equal(ctx: Any) -> Any:
        return (left(ctx) == right(ctx)) != negate

    return equal


def equal_amounts(left: Fn, right: Fn, negate: bool) -> Fn:
    """`x is y` (`is not` when `negate`), of amounts or durations."""

    def equal(ctx: Any) -> bool:
        return equal_values(left(ctx), right(ctx)) != negate

    return equal


def ordered(left: Fn, right: Fn, compare: Callable[[Any, Any], Any]) -> Fn:
    """`x < y` (or another ordering), of plain values."""

    def holds(ctx: Any) -> Any:
        return compare(left(ctx), right(ctx))

    return holds


def ordered_values(left: Fn, right: Fn, compare: Callable[[Any, Any], Any]) -> Fn:
    """`x < y` (or another ordering), of amounts or durations."""

    def holds(ctx: Any) -> Any:
        return compare(*order_keys(left(ctx), right(ctx)))

    return holds


def logical(operands: Sequence[Fn], decisive: bool) -> Fn:
    """`a or b …` (`decisive`: true settles it) or `a and b …` (false settles it).

    Three-valued (Kleene) logic: a missing fact is unknown; `true or unknown` is true,
    `false and unknown` is false, in any order; otherwise the unknown propagates and the
    clause's condition counts as false."""
    fixed = tuple(operands)

    def either(ctx: Any) -> bool:
        missing: Missing | None = None
        try:
            for operand in fixed:
                try:
                    if bool(operand(ctx)) is decisive:
                        return decisive
                except Missing as unknown:
                    missing = unknown
            if missing is not None:
                raise missing
            return not decisive
        finally:
            # The exception's traceback holds this frame: kept in a local, it would make
            # a cycle only the cyclic collector frees (hundreds of objects a decision).
            missing = None

    return either


def all_of(conditions: tuple[Fn, ...]) -> tuple[Fn, ...]:
    """All `when` lines of a provision as one condition (or none)."""
    if len(conditions) <= 1:
        return conditions

    def all_hold(ctx: Context) -> bool:
        return all(condition(ctx) for condition in conditions)

    return (all_hold,)


def guarded(fn: Fn, needs: tuple[str, ...]) -> Fn:
    """A condition that is false at once, without evaluating it, when one of the facts
    `needs` is not given (unknown: a condition that reads a missing fact is false)."""

    def condition(ctx: Context) -> Any:
        facts = ctx.facts
        for fact in needs:
            if fact not in facts:
                return False
        return fn(ctx)

    return condition


def _members(items: Any) -> list[str]:
    """The ids of a collection of the use, in the use's order."""
    if isinstance(items, frozenset):
        return sorted(items)
    return list(items)


def performers_of_works(ctx: Context) -> list[str]:
    """The performers of the use's works, each once, in the order of the works."""
    found: dict[str, None] = {}
    for work in ctx.works:
        for artist in ctx.catalogue.performers_of(work):
            found[artist] = None
    return list(found)


def quantifier(items: Fn, condition: Fn, on_work: bool, want: bool) -> Fn:
    """`any(x in items where condition)` (`want` true) or `all(…)` (`want` false), with
    each item in hand as the work (`on_work`) or the artist. Kleene, as `or`/`and`: an
    item whose condition reads a missing fact is unknown."""

    def settle(ctx: Context) -> bool:
        previous = ctx.work_id if on_work else ctx.artist_id
        missing: Missing | None = None
        try:
            for item in _members(items(ctx)):
                if on_work:
                    ctx.work_id = item
                else:
                    ctx.artist_id = item
                try:
                    if bool(condition(ctx)) is want:
                        return want
                except Missing as unknown:
                    missing = unknown
        finally:
            if on_work:
                ctx.work_id = previous
            else:
                ctx.artist_id = previous
        if missing is not None:
            raise missing
        return not want

    return settle


# ----------------------------------------------------------------- explanations


def filled(template: str, fills: Sequence[Fn]) -> Fn:
    """A text `template` (`str.format` style) filled with the values of `fills`."""
    fixed = tuple(fills)

    def text(ctx: Any) -> str:
        return template.format(*[fill(ctx) for fill in fixed])

    return text


def shown(show: Callable[[Any], str], value: Fn) -> Fn:
    """A value of the use written for a payment's basis (`(not given)` when missing)."""

    def text(ctx: Any) -> str:
        return show(safe(value, ctx))

    return text


def count_shown(count: Fn) -> Fn:
    """A count of the use written for a payment's basis."""

    def text(ctx: Any) -> str:
        return str(count_of(safe(count, ctx)))

    return text


def safe(fn: Fn, ctx: Any) -> Any:
    """`fn`'s value, or `(not given)` when it reads a fact the use does not give."""
    try:
        return fn(ctx)
    except Missing:
        return "(not given)"
