"""`decide_outcomes`: many uses in the compact form, through the batch core's classes.

`PolicySet.decide_outcome` plans every use from scratch. Here the uses are placed in the
batch core's classes (`clausula.batch`, "Classes": uses that provably decide alike), each
class is planned once, and each use is only priced. The core (a `BatchEvaluator`) is kept
with the policy set, one per thread, so what it learnt serves the next call too: a
pipeline that calls this batch after batch plans each class once in all. Its memories are
bounded (`classes._MEMO_LIMIT` entries each), and pure: the policy set is immutable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..collector import collector_paused
from ..models import Use
from ..policy_set import PolicySet
from ..pricing import Outcome
from ..use_input import UseError, parse_use
from .evaluator import kept_evaluator
from .loading import LoadedPolicy
from .results import UseColumns


def decide_outcomes(
    policies: PolicySet | LoadedPolicy, uses: Iterable[Use | Mapping[str, Any]]
) -> list[Outcome]:
    """The compact `Outcome` of every use, in order: the decision, rounded payments and
    totals, and the denying rules that `PolicySet.decide_outcome` gives for it (its
    `position` is the use's place here). A use that is not valid, or whose decision raises,
    gets the outcome `"error"` with the `UseError`'s text instead of stopping the batch.

    For pipelines that store or sum answers; `PolicySet.decide_many` gives full decisions
    (docs/python.md, "Which call to use")."""
    policy_set = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
    # Deciding only allocates (the core's memories grow, nothing cyclic is left): the
    # cyclic collector would walk those memories again and again for nothing.
    with collector_paused():
        return _decide_outcomes(policies, policy_set, uses)


def _decide_outcomes(
    policies: PolicySet | LoadedPolicy,
    policy_set: PolicySet,
    uses: Iterable[Use | Mapping[str, Any]],
) -> list[Outcome]:
    evaluator = kept_evaluator(policies)
    vocabulary = policy_set.vocabulary
    outcomes: list[Outcome | None] = []
    by_currency: dict[str, tuple[list[int], list[Use], list[Decimal | None]]] = {}
    for position, raw in enumerate(uses):
        try:
            use = parse_use(raw, vocabulary)
        except UseError as error:
            outcomes.append(Outcome(position, "error", (), (), (), str(error)))
            continue
        outcomes.append(None)
        revenue = use.metrics.revenue
        currency = revenue.currency if revenue is not None else ""
        group = by_currency.setdefault(currency, ([], [], []))
        group[0].append(position)
        group[1].append(use)
        group[2].append(revenue.amount if revenue is not None else None)
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
            outcomes[position] = outcome._replace(position=position)
    return [outcome for outcome in outcomes if outcome is not None]

