"""The plan of a use for the batch: the core's own `plan`, with the context it was made
in and, for a denied use, the compact outcome the batch gives it."""

from __future__ import annotations

from dataclasses import dataclass

from ..context import Context
from ..decide import planned
from ..models import Use
from ..plans import Plan
from ..policy_set import PolicySet
from ..pricing import Outcome, price_outcome


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
    """The plan of `use` (raises `UseError` as `decide` does): the core's `planned`, and
    for a denied use its compact outcome (`price_outcome`: a refusal needs no figures)."""
    made, ctx = planned(policy_set.compiled, policy_set._records, use)
    return _Structure(ctx, made, None if made.licensed else price_outcome(made, ctx))
