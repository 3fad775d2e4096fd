"""Plans remembered between decisions: uses alike but for their id, metrics and attribution
weights share one plan.

A plan (`decide.plan`) is a pure function of the compiled policy, the records and what the
use's conditions read. When no condition of the policy reads the use's id, its metrics or
an attribution weight (`batch.analysis.Analysis.groups_without_metrics`), two uses with the
same date, licensee, purpose, territory, works, artists, attributed artists, output flags,
contexts, commerciality and facts have the same plan: only their prices differ. A service
asked for generations in one artist's voice on one day, each with its own revenue and
weights, plans the first and prices the rest. When conditions read the metrics or a weight
but not the id, the key holds those figures too (`figures`): only uses that differ in their
id alone share a plan. A set whose conditions read the id has no memo.

The memo is bounded (`MAX_PLANS`; full, it forgets them all) and shared by the threads
deciding with one policy set: each dict operation is atomic, plans are never changed once
made, and two threads that miss the same key make the same plan. A policy set whose
grants come from a ledger has no memo either (its grants change under it: `clausula.load`
with a `ledger` keeps no checked text to analyse).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .compiled import CompiledPolicy
from .context import Context
from .decide import Records, planned
from .models import Use
from .plain_use import NO_OUTPUT, PlainRequest, facts_of
from .plans import Plan

MAX_PLANS = 8192  # plans kept per policy set before the memo is cleared
# Where uses seldom repeat (each its own artist and day), a key costs more than it saves:
# after `_WINDOW` lookups with fewer than one hit in `_FEW`, the next `_RESTING` uses are
# planned without the memo, then it is tried again. Only the time differs, never a decision.
_WINDOW = 4096
_FEW = 8
_RESTING = 65_536


def _plan_key(
    date: Any,
    licensee: Any,
    purpose: Any,
    territory: Any,
    output: Any,
    context: Any,
    commercial: Any,
    facts: Mapping[str, Any],
    works: Any,
    artists: Any,
    attribution: Any,
) -> tuple[Any, ...]:
    # The one definition of the key, for a `Use` (`plan_key`) and for a plain request
    # (`request_key`): one tuple, built at once.
    return (
        date,
        licensee,
        purpose,
        territory,
        # its flags (the model hashes slowly); none for the one flagless output that
        # `plain_use` gives every use that sets no flag
        () if output is NO_OUTPUT else tuple(output.__dict__.values()),
        tuple(context) if context else (),
        commercial,
        # by type and text: `True`, `1` and `1.0` are equal in Python, not as facts
        tuple((k, type(v).__name__, str(v)) for k, v in facts.items()) if facts else (),
        tuple(works),
        tuple(artists),
        tuple(attribution) if attribution else (),
    )


_FRAME = 8  # the first places of `_plan_key`: the use's frame


def frame_key(use: Use) -> tuple[Any, ...]:
    """Everything about a use but its id, metrics, works, artists and attribution (the
    batch core's frames add those by their places)."""
    return plan_key(use)[:_FRAME]


def plan_key(use: Use) -> tuple[Any, ...]:
    """What a plan reads of `use` when its conditions read neither its id, nor its
    metrics, nor a weight: its frame, its works and artists, and who it is attributed to
    (in order; not their weights)."""
    fields = use.__dict__  # not the model's attributes: each goes through a hook
    return _plan_key(
        fields["date"],
        fields["licensee"],
        fields["purpose"],
        fields["territory"],
        fields["output"],
        fields["context"],
        fields["commercial"],
        fields["facts"],
        fields["works"],
        fields["artists"],
        fields["attribution"],
    )


def request_key(request: PlainRequest) -> tuple[Any, ...]:
    """`plan_key` of the `Use` of a plain request, read from the request (no facts)."""
    return _plan_key(
        request.date,
        request.licensee,
        request.purpose,
        request.territory,
        request.output,
        request.context,
        request.commercial,
        _NO_FACTS,
        request.works,
        request.artists,
        request.attribution,
    )


_NO_FACTS: Mapping[str, Any] = {}


def _figures_key(attribution: Mapping[str, Any], metrics: Any) -> tuple[Any, ...]:
    revenue = metrics.revenue
    return (
        tuple(str(weight) for weight in attribution.values()),
        (str(revenue.amount), revenue.currency) if revenue is not None else None,
        metrics.generations,
        metrics.streams,
    )


def figures_key(use: Use | PlainRequest) -> tuple[Any, ...]:
    """The use's metrics and attribution weights, exactly as given (for `plan_key` where
    conditions read them)."""
    if isinstance(use, PlainRequest):
        return _figures_key(use.attribution, use.metrics)
    fields = use.__dict__
    return _figures_key(fields["attribution"], fields["metrics"])


class PlanMemo:
    """`planned(use)`: the use's plan and `Context`, the plan made once per `plan_key` (and
    `figures_key`, when `figures`)."""

    __slots__ = (
        "_catalogue",
        "_figures",
        "_hits",
        "_lookups",
        "_plans",
        "_policy",
        "_records",
        "_resting",
    )

    def __init__(self, policy: CompiledPolicy, records: Records, *, figures: bool = False) -> None:
        self._figures = figures
        self._policy = policy
        self._records = records
        self._catalogue = records.catalogue
        self._plans: dict[tuple[Any, ...], tuple[Mapping[str, Any], Plan]] = {}
        # Counters read by one thread and written by many: a lost update only shifts
        # when the memo rests.
        self._lookups = self._hits = self._resting = 0

    def planned(self, use: Use) -> tuple[Plan, Context]:
        """The plan of `use` and its context (`decide.planned`), the plan remembered for
        uses alike."""
        made, ctx, facts = self.plan_of(use)
        return made, ctx if ctx is not None else Context(use, self._catalogue, facts)

    def plan_of(self, use: Use | PlainRequest) -> tuple[Plan, Context | None, Mapping[str, Any]]:
        """The plan of `use` (a `Use` or a plain request, whose `Use` is not made), the
        context its planning read it through — None when the plan was remembered, so that
        a caller that needs no context (a plan that does not license the use) makes none —
        and the use's facts (`decide.use_facts`)."""
        if self._resting:
            self._resting -= 1
            made, ctx = self._planned(use)
            return made, ctx, ctx.facts
        key = request_key(use) if isinstance(use, PlainRequest) else plan_key(use)
        if self._figures:
            key = (*key, *figures_key(use))
        found = self._plans.get(key)
        self._lookups += 1
        if found is not None:
            self._hits += 1
            facts, made = found
            return made, None, facts
        if self._lookups >= _WINDOW:
            if self._hits * _FEW < self._lookups:
                self._resting = _RESTING
            self._lookups = self._hits = 0
        made, ctx = self._planned(use)
        plans = self._plans
        if len(plans) >= MAX_PLANS:
            plans.clear()
        plans[key] = (ctx.facts, made)
        return made, ctx, ctx.facts

    def _planned(self, use: Use | PlainRequest) -> tuple[Plan, Context]:
        return planned(self._policy, self._records, use, facts_of(use, self._policy.vocabulary))
