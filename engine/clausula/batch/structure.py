"""The plan of a use for the batch: the core's own `plan`, with the context it was made
in and, for a denied use, the compact outcome the batch gives it."""

from __future__ import annotations

from dataclasses import dataclass

from ..context import Context
from ..decide import plan, use_facts
from ..models import Use
from ..plans import Plan
from ..policy_set import PolicySet
from ..pricing import Outcome, refusal


@dataclass(frozen=True, slots=True)
class _Structure:
    """A use's plan and its context (the class representative's, for the batch classes)."""

    ctx: Context
    plan: Plan
    refused: Outcome | None  # a denied use's outcome (None: licensed)

    @property
    def denied(self) -> bool:
        return not self.plan.licensed


def _structure(policy_set: PolicySet, use: Use) -> _Structure:
    """The plan of `use` (raises `UseError` as `decide` does)."""
    policy, records = policy_set.compiled, policy_set._records
    ctx = Context(use, records.catalogue, use_facts(use, policy))
    planned = plan(policy, records, use, ctx)
    refused = (
        None
        if planned.licensed
        else refusal((r["effect"], r["rule"], r["source"]) for r in planned.reasons)
    )
    return _Structure(ctx, planned, refused)
