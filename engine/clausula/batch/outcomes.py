"""`decide_outcomes`: many uses in the compact form, through the batch core's classes
when that is faster.

`PolicySet.decide_outcome` plans every use from scratch. Here the uses are placed in the
batch core's classes (`clausula.batch`, "Classes": uses that provably decide alike), each
class is planned once, and each use is only priced. The core (a `BatchEvaluator`) is kept
with the policy set, one per thread, so what it learnt serves the next call too: a
pipeline that calls this batch after batch plans each class once in all. Its memories are
bounded (`classes._MEMO_LIMIT` entries each), and pure: the policy set is immutable.

Placing a use in its class is not free: with the heavy packs it costs a fraction of a
plan, but where the plan is cheap and the uses share little (each its own artist,
territory and day, as on the peers harness), it costs more than planning. So the uses go
in chunks of `_CHUNK`, each chunk the way (`Pace`) that has taken less time per use on
this thread so far — the classes (leaving out the planning of classes met for the first
time, an investment later uses of the class no longer pay), or `decide_outcome` one by
one — and now and then a chunk (a short one, of `_PROBE` uses) the other way, to notice
when it has become the faster (classes learnt, uses that repeat): one chunk in
`_PROBE_EVERY` at first, and half as often each time a probe finds the other way still
the slower, down to one in `_PROBE_MOST` — on a stream of new uses, where each probe plans
classes that are never met again, the probes cost less and less — back to one in
`_PROBE_EVERY` as soon as it is the faster. Both ways give the same outcomes (a property
test runs each way); only the time differs."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import islice
from typing import Any, Literal

from ..collector import collector_paused
from ..models import Use
from ..policy_set import PolicySet
from ..pricing import Outcome, placed
from ..use_input import UseError, parse_use
from .evaluator import BatchEvaluator, kept_evaluator
from .loading import LoadedPolicy
from .results import UseColumns


def decide_outcomes(
    policies: PolicySet | LoadedPolicy, uses: Iterable[Use | Mapping[str, Any]]
) -> list[Outcome]:
    """The compact `Outcome` of every use, in order: the decision, rounded payments and
    totals, and the denying rules that `PolicySet.decide_outcome` gives for it (its
    `position` is the use's place here). A use that is not valid, or whose decision raises,
    gets the outcome `"error"` with the `UseError`'s text instead of stopping the batch.

    Where the classes do not pay, batching costs little more than deciding one use at a
    time (the short probes of the other way): the uses go through the batch core's
    classes, or one at a time through `decide_outcome`, chunk by chunk, whichever has been
    faster on this thread (see the module's docstring). Both give the same outcomes.

    For pipelines that store or sum answers; `PolicySet.decide_many` gives full decisions
    (docs/python.md, "Which call to use")."""
    return _decide_outcomes(policies, uses, None)


Way = Literal["classes", "one_by_one"]
WAYS: tuple[Way, ...] = ("classes", "one_by_one")
_CHUNK = 256  # uses decided one way before the pace is looked at again
_PROBE_EVERY = 16  # at first one chunk in this many goes the slower way, to see if it got faster
_PROBE_MOST = 64  # and never fewer than one in this many (a way that got faster waits no longer)
_PROBE = 32  # uses in such a probe


class Pace:
    """How long each way has taken per use on this thread lately (an average that weighs
    the last chunk as much as all before it), how many chunks went each way, and how many
    chunks go the faster way before the slower is probed again."""

    __slots__ = ("chunks", "probe_every", "seconds", "until_probe")

    def __init__(self) -> None:
        self.seconds: dict[Way, float | None] = {"classes": None, "one_by_one": None}
        self.chunks: dict[Way, int] = {"classes": 0, "one_by_one": 0}
        self.probe_every = _PROBE_EVERY
        self.until_probe = _PROBE_EVERY - 1

    def choose(self) -> Way:
        """The faster way so far; a way not tried yet first (the classes first of all);
        the slower one when a probe is due (see the module's docstring)."""
        if self.seconds["classes"] is None:
            return "classes"
        slower = self.slower()
        if slower is None:
            return "one_by_one"
        faster: Way = "one_by_one" if slower == "classes" else "classes"
        return slower if self.until_probe <= 0 else faster

    def slower(self) -> Way | None:
        """The way that has taken more time per use so far (None: one is not tried yet)."""
        classes, one = self.seconds["classes"], self.seconds["one_by_one"]
        if classes is None or one is None:
            return None
        return "one_by_one" if classes <= one else "classes"

    def record(self, way: Way, seconds: float, uses: int) -> None:
        """`uses` uses went `way` in `seconds`."""
        probed = way == self.slower()
        per_use = seconds / max(uses, 1)
        before = self.seconds[way]
        self.seconds[way] = per_use if before is None else (before + per_use) / 2
        self.chunks[way] += 1
        if not probed:
            self.until_probe -= 1
            return
        # A probe: still the slower, probe half as often; the faster now, as often as at first.
        still = self.slower() == way
        self.probe_every = min(2 * self.probe_every, _PROBE_MOST) if still else _PROBE_EVERY
        self.until_probe = self.probe_every - 1


def pace_of(policy_set: PolicySet) -> Pace:
    """This thread's pace for the policy set (kept with it, as the batch core is)."""
    kept = policy_set._per_thread
    pace: Pace | None = getattr(kept, "pace", None)
    if pace is None:
        pace = kept.pace = Pace()
    return pace


def _decide_outcomes(
    policies: PolicySet | LoadedPolicy,
    uses: Iterable[Use | Mapping[str, Any]],
    way: Way | None,
) -> list[Outcome]:
    """`decide_outcomes`, every chunk the way `way` (None: the pace's choice)."""
    policy_set = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
    vocabulary = policy_set.vocabulary
    outcomes: list[Outcome] = []
    pace = pace_of(policy_set)
    given = enumerate(uses)
    while True:
        # Deciding only allocates (the core's memories grow, nothing cyclic is left):
        # the collector is paused a chunk at a time, and walks what a chunk kept while
        # it is still in the processor's caches (why: `collector`'s docstring).
        with collector_paused():
            chosen = way or pace.choose()
            # A way tried for the first time, or the slower way probed, gets a short chunk:
            # it costs little when it is the slower.
            trial = pace.seconds[chosen] is None or chosen == pace.slower()
            size = _PROBE if way is None and trial else _CHUNK
            # Each way is timed with the reading of its uses, which both pay.
            began = time.perf_counter()
            if chosen == "one_by_one":
                read = _one_by_one(policy_set, islice(given, size), outcomes)
                invested = 0.0
            else:
                # Each chunk read and decided in turn, not every use read first: a use is
                # decided while what reading it made is still in the processor's caches.
                chunk: list[tuple[int, Use]] = []
                found: dict[int, Outcome] = {}
                read = 0
                for position, raw in islice(given, size):
                    read += 1
                    try:
                        chunk.append((position, parse_use(raw, vocabulary)))
                    except UseError as error:
                        found[position] = _refused(position, error)
                evaluator = kept_evaluator(policies)
                planned = evaluator.planning_seconds
                for outcome in _by_classes(evaluator, chunk) if chunk else ():
                    found[outcome.position] = outcome
                # Planning a class met for the first time is paid once: what the classes
                # are weighed by is what the uses of known classes cost.
                invested = evaluator.planning_seconds - planned
                outcomes.extend(found[position] for position in sorted(found))
            spent = time.perf_counter() - began - invested
        if not read:
            break  # every use read
        pace.record(chosen, spent, read)
    return outcomes


def _one_by_one(
    policy_set: PolicySet, uses: Iterable[tuple[int, Any]], outcomes: list[Outcome]
) -> int:
    """Each use decided on its own (`PolicySet.decide_outcome`), its outcome added to
    `outcomes`; how many uses there were."""
    read = 0
    for position, raw in uses:
        read += 1
        try:
            outcomes.append(placed(policy_set.decide_outcome(raw), position))
        except UseError as error:
            outcomes.append(_refused(position, error))
    return read


def _refused(position: int, error: UseError) -> Outcome:
    """The outcome of a use that is not valid, or whose decision raises: its error."""
    return Outcome(position, "error", (), (), (), str(error))


def _by_classes(evaluator: BatchEvaluator, uses: list[tuple[int, Use]]) -> list[Outcome]:
    """The uses placed in the batch core's classes, by currency (each class planned once,
    each use priced)."""
    by_currency: dict[str, tuple[list[int], list[Use], list[Decimal | None]]] = {}
    for position, use in uses:
        revenue = use.metrics.revenue
        currency = revenue.currency if revenue is not None else ""
        group = by_currency.setdefault(currency, ([], [], []))
        group[0].append(position)
        group[1].append(use)
        group[2].append(revenue.amount if revenue is not None else None)
    found = []
    for currency, (positions, shapes, revenues) in by_currency.items():
        columns = UseColumns(
            shapes=shapes,
            shape=range(len(shapes)),
            revenue=revenues,
            generations=[use.metrics.generations for use in shapes],
            streams=[use.metrics.streams for use in shapes],
            currency=currency or "USD",
        )
        for position, outcome in zip(positions, evaluator.evaluate(columns), strict=True):
            found.append(placed(outcome, position))
    return found
