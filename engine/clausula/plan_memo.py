"""Plans remembered between decisions: uses alike but for their id, metrics and attribution
weights share one plan.

A plan (`decide.plan`) is a pure function of the compiled policy, the records and what the
use's conditions read. When no condition of the policy reads the use's id, its metrics or
an attribution weight (`batch.analysis.Analysis.groups_without_metrics`), two uses with the
same date, licensee, purpose, territory, works, artists, attributed artists, output flags,
contexts, commerciality and facts have the same plan: only their prices differ. A service
asked for generations in one artist's voice on one day, each with its own revenue and
weights, plans the first and prices the rest.

The memo is bounded (`MAX_PLANS`; full, it forgets them all) and shared by the threads
deciding with one policy set: each dict operation is atomic, plans are never changed once
made, and two threads that miss the same key make the same plan. A policy set whose
grants come from a ledger has no memo (its grants change under it: `clausula.load`
without `checked`), nor has one whose conditions read what the key leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .compiled import CompiledPolicy
from .context import Context
from .decide import Records, planned
from .models import Use
from .plans import Plan

MAX_PLANS = 8192  # plans kept per policy set before the memo is cleared


def plan_key(use: Use) -> tuple[Any, ...]:
    """What a plan reads of `use` when its conditions read neither its id, nor its
    metrics, nor a weight (a fact's value is a string, number, flag or date: hashable)."""
    fields = use.__dict__  # not the model's attributes: each goes through a hook
    facts: Mapping[str, Any] = fields["facts"]
    attribution = fields["attribution"]
    return (
        fields["date"],
        fields["licensee"],
        fields["purpose"],
        fields["territory"],
        tuple(fields["works"]),
        tuple(fields["artists"]),
        tuple(attribution) if attribution else (),  # who, in order: not their weights
        fields["output"],  # a frozen model: hashable, equal when its flags are
        tuple(fields["context"]),
        fields["commercial"],
        tuple(sorted(facts.items())) if facts else (),
    )


class PlanMemo:
    """`planned(use)`: the use's plan and `Context`, the plan made once per `plan_key`."""

    __slots__ = ("_catalogue", "_plans", "_policy", "_records")

    def __init__(self, policy: CompiledPolicy, records: Records) -> None:
        self._policy = policy
        self._records = records
        self._catalogue = records.catalogue
        self._plans: dict[tuple[Any, ...], tuple[Mapping[str, Any], Plan]] = {}

    def planned(self, use: Use) -> tuple[Plan, Context]:
        """The plan of `use` and its context (`decide.planned`), the plan remembered for
        uses alike."""
        key = plan_key(use)
        found = self._plans.get(key)
        if found is not None:
            facts, made = found
            return made, Context(use, self._catalogue, facts)
        made, ctx = planned(self._policy, self._records, use)
        plans = self._plans
        if len(plans) >= MAX_PLANS:
            plans.clear()
        plans[key] = (ctx.facts, made)
        return made, ctx
