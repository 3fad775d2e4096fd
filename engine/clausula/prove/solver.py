"""One solver call with a time limit, in the open or the closed world (see `encode`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import z3

from .encode import Atom
from .space import Space

#: The time one check may take before it answers `unknown`, in milliseconds.
DEFAULT_TIMEOUT_MS = 5000

Status = Literal["sat", "unsat", "unknown"]


@dataclass
class Answer:
    status: Status
    model: Any = None


def closed_world(atoms: Mapping[str, Atom], *, peopled: bool = False) -> list[Any]:
    """Every atom at its value for a use that names no work and no artist, or, `peopled`,
    for a use with one work, one artist and one grant (`encode`); atoms without one stay
    free (a witness that relies on them is re-decided, and `unknown` if not confirmed)."""
    if peopled:
        return [a.var == a.peopled for a in atoms.values() if a.peopled is not None]
    return [a.var == a.closed for a in atoms.values() if a.closed is not None]


def domains(atoms: Mapping[str, Atom]) -> list[Any]:
    """What holds of atoms in every world: counts are not negative."""
    return [a.var >= 0 for a in atoms.values() if a.counts]


def unencoded_in(atoms: Mapping[str, Atom], keys: set[str]) -> list[str]:
    """The reasons of the atoms in `keys` that have no closed value (not encoded)."""
    return sorted({atoms[k].reason for k in keys if k in atoms and atoms[k].closed is None})


def solve(
    space: Space,
    atoms: Mapping[str, Atom],
    formulas: Sequence[Any],
    *,
    closed: bool,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    simplest: bool = False,
    peopled: bool = False,
) -> Answer:
    """Whether `formulas` can hold together; with `closed`, for uses without works or
    artists (a model is then a witness the engine can decide), or with `peopled` too, for
    uses with one work, artist and grant; `simplest` asks for a model with as little
    claimed as possible."""
    solver: Any = z3.Optimize() if simplest else z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*space.bounds(), *domains(atoms))
    if closed:
        solver.add(*closed_world(atoms, peopled=peopled))
    solver.add(*formulas)
    if simplest:
        for goal in space.simplest():
            solver.add_soft(goal)
    result = solver.check()
    if result == z3.sat:
        return Answer("sat", solver.model())
    if result == z3.unsat:
        return Answer("unsat")
    return Answer("unknown")


def session(
    space: Space,
    atoms: Mapping[str, Atom],
    formulas: Sequence[Any],
    *,
    timeout_ms: int,
    peopled: bool = False,
) -> Callable[[Sequence[Any]], Status]:
    """Many closed-world questions about one set of formulas, on one incremental solver:
    each call adds its own formulas for one check and takes them back."""
    solver: Any = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*space.bounds(), *domains(atoms), *closed_world(atoms, peopled=peopled), *formulas)

    def ask(extra: Sequence[Any]) -> Status:
        solver.push()
        try:
            solver.add(*extra)
            result = solver.check()
        finally:
            solver.pop()
        return "sat" if result == z3.sat else "unsat" if result == z3.unsat else "unknown"

    return ask


def extreme(
    space: Space,
    atoms: Mapping[str, Atom],
    formulas: Sequence[Any],
    objective: Any,
    *,
    maximize: bool,
    closed: bool,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    figures_bounded: bool = True,
    peopled: bool = False,
) -> tuple[Status, Any]:
    """The least or greatest value of `objective` where `formulas` hold: ("sat", value as a
    z3 number, or None when unbounded), or the status that stopped it. Without
    `figures_bounded`, revenue and counts have no upper bound (a use's figures have none),
    so that "unbounded" is the solver's answer, not a guess from a large number."""
    opt: Any = z3.Optimize()
    opt.set("timeout", timeout_ms)
    opt.add(*space.bounds(figures_bounded=figures_bounded), *domains(atoms))
    if closed:
        opt.add(*closed_world(atoms, peopled=peopled))
    opt.add(*formulas)
    handle = opt.maximize(objective) if maximize else opt.minimize(objective)
    result = opt.check()
    if result == z3.unknown:
        # The optimiser gave up (products of figures and weights are nonlinear). The bound
        # a payment's change most often has, 0, is two plain checks away.
        return _zero_bound(opt, objective, maximize, timeout_ms)
    if result != z3.sat:
        return "unsat", None
    value = handle.value()
    text = str(value)
    if "oo" in text or "epsilon" in text:
        return "sat", None
    return "sat", value


def _zero_bound(opt: Any, objective: Any, maximize: bool, timeout_ms: int) -> tuple[Status, Any]:
    """("sat", 0) when 0 is the least (greatest, `maximize`) value of `objective` where the
    optimiser's constraints hold: nothing below (above) 0, and 0 reached; otherwise
    ("unknown", None) — never "unbounded" for a bound the solver could not find."""
    solver: Any = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*opt.assertions())
    beyond = objective > 0 if maximize else objective < 0
    if solver.check(beyond) != z3.unsat or solver.check(objective == 0) != z3.sat:
        return "unknown", None
    return "sat", z3.RealVal(0)
