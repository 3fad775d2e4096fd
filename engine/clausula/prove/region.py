"""Where a formula holds, in plain English: purposes, territories, dates, and the output
flags, contexts and facts it needs (each projected alone; the region lies within them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import z3

from ..territory import country_of
from .encode import Atom
from .solver import Answer, extreme, session
from .space import Space

#: How many territories a region names before it says how many more.
REGION_TERRITORIES = 8


def region(
    space: Space,
    atoms: Mapping[str, Atom],
    formulas: list[Any],
    count: Callable[[], None],
    timeout_ms: int,
    peopled: bool = False,
) -> str:
    """The region of uses (without works or artists, or `peopled`: with one work, artist
    and grant) where `formulas` hold; `count` is called once per check. The checks share
    one incremental solver."""
    ask = session(space, atoms, formulas, timeout_ms=timeout_ms, peopled=peopled)

    def solve(extra: Sequence[Any]) -> Answer:
        count()
        return Answer(ask(extra[len(formulas) :]))

    purposes = [
        n for n in space.purposes if solve([*formulas, space.purpose_is(n)]).status == "sat"
    ]
    territories = [
        i
        for i in range(len(space.territories))
        if solve([*formulas, space.territory == i]).status == "sat"
    ]
    low = extreme(
        space,
        atoms,
        formulas,
        space.date,
        maximize=False,
        closed=True,
        timeout_ms=timeout_ms,
        peopled=peopled,
    )[1]
    high = extreme(
        space,
        atoms,
        formulas,
        space.date,
        maximize=True,
        closed=True,
        timeout_ms=timeout_ms,
        peopled=peopled,
    )[1]
    needs = []
    flags = [
        *((f"output {n}", v) for n, v in space.output.items()),
        *((f"context {n}", v) for n, v in space.context.items()),
        *((f"fact {n}", f.given) for n, f in space.facts.items()),
    ]
    for name, var in flags:
        if solve([*formulas, z3.Not(var)]).status == "unsat":
            needs.append(name)
    text = describe_region(space, purposes, territories, low, high)
    return text + (f", with {', '.join(needs)}" if needs else "")


def describe_region(
    space: Space, purposes: list[str], territories: list[int], low: Any, high: Any
) -> str:
    """A region in plain English: "generation anywhere except CN, RU from 2027-01-01 to …".

    Territories are named by class: its codes, or one code "and N more like it"."""
    what = ", ".join(purposes) if len(purposes) < len(space.purposes) else "any purpose"
    classes = space.territories
    outside = [c for i, c in enumerate(classes) if i not in territories]
    inside = [classes[i] for i in territories]

    def named(items: list[Any]) -> str:
        shown = [code for c in items for code in _members(c)]
        shown += [_unlisted(c) for c in items if not _members(c)]
        if len(shown) > REGION_TERRITORIES:
            shown = [*shown[:REGION_TERRITORIES], f"{len(shown) - REGION_TERRITORIES} more"]
        return ", ".join(shown)

    if not outside:
        where = "anywhere"
    elif len(outside) < len(inside) or any(c.size > 1 for c in inside):
        where = f"anywhere except {named(outside)}"
    else:
        where = f"in {named(inside)}"
    when = ""
    if low is not None and high is not None:
        first = dt.date.fromordinal(low.as_long())
        last = dt.date.fromordinal(high.as_long())
        when = f" from {first} to {last}" if first != last else f" on {first}"
    return f"{what} {where}{when}"


def _unlisted(item: Any) -> str:
    """A class too large to list, or one that stands for codes no policy names."""
    if item.size > 1:
        return f"{item.code} and {item.size - 1} more like it"
    country = country_of(item.code)
    if country != item.code:  # one unnamed subdivision stands for all of them
        return f"any subdivision of {country} that no policy names (such as {item.code})"
    return str(item.code)


def _members(item: Any) -> list[str]:
    """The codes of a small class (a large one is named by its representative)."""
    return list(item.members) if len(item.members) <= REGION_TERRITORIES else []
