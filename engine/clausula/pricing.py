"""Price a plan: the payments a licensed use owes, from its figures, rounded once.

The one pricing function (`amount_due`: one payee's exact amount under one formula) and
the one rounding rule (`round_lines`: once per currency, parts adding up to the total)
serve every path: `decide`, `decide_many`, the batch evaluator and the simulator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final, NamedTuple

from .context import Context, EvaluationError, Missing
from .kinds import DENYING
from .models import Decision, Payment, Reason, Total
from .money import Money, equals_money, payment_key, split_rounded
from .plans import Payable, Plan
from .trusted_models import trusted
from .use_input import UseError, UseProblem
from .values import format_value


class Outcome(NamedTuple):
    """The compact answer about one use: what a pipeline or a simulation needs, without the
    reasons' and payments' texts (`price_outcome`; the batch's `evaluate` and `tally`).

    `payments` are `(payee, amount, currency, rule)` rounded as in the decision; `totals`
    `(currency, amount)`; `denial` the `(effect, rule)` of the reasons that deny, in order,
    and `source` where the first of them is written; `error` the `UseError` text when the
    use cannot be decided (then `decision` is `"error"`). `position` is the use's place in
    a batch (-1 outside one).
    """

    position: int
    decision: str
    payments: tuple[tuple[str, Decimal, str, str], ...]
    totals: tuple[tuple[str, Decimal], ...]
    denial: tuple[tuple[str, str], ...]
    error: str | None = None
    source: str | None = None


def placed(outcome: Outcome, position: int) -> Outcome:
    """`outcome` at `position` in a batch (what `_replace` gives, at a fraction of its
    cost: each field by its index, no slice)."""
    _, decision, payments, totals, denial, error, source = outcome
    return _new_tuple(Outcome, (position, decision, payments, totals, denial, error, source))


def new_outcome(
    decision: str,
    payments: tuple[tuple[str, Decimal, str, str], ...],
    totals: tuple[tuple[str, Decimal], ...],
    denial: tuple[tuple[str, str], ...],
    source: str | None = None,
) -> Outcome:
    """`Outcome(-1, decision, payments, totals, denial, None, source)` without the named
    tuple's `__new__`, a Python function."""
    return _new_tuple(Outcome, (-1, decision, payments, totals, denial, None, source))


_new_tuple: Final = tuple.__new__


class PayLine(NamedTuple):
    """One payment before rounding: its payee, exact amount and the formula it came from
    (a named tuple: immutable, and cheaper to make than a frozen dataclass)."""

    payee: str
    exact: Money
    payable: Payable
    basis: str | None  # how it was computed, in words (None: not asked for)


def amount_due(
    payable: Payable, payee: str, weight: Decimal | None, ctx: Context, *, with_basis: bool
) -> tuple[Money, str | None] | None:
    """What `payable` owes `payee` for the use in `ctx`, exactly, with how it was computed
    (when `with_basis`); None when nothing is due. `weight` is the payee's attribution
    weight when the formula pays over attribution.

    Raises `Missing` (a figure the use does not give) or `EvaluationError` (mixed
    currencies, a division by zero, a negative amount)."""
    effect = payable.effect
    assert effect.amount is not None and effect.basis is not None
    ctx.share = payable.share
    ctx.weight = weight
    ctx.artist_id = None if payable.to_party else payee
    try:
        amount = effect.amount(ctx)
        if not isinstance(amount, Money) or amount.amount == 0:
            return None
        if amount.amount < 0:
            raise EvaluationError(f"the amount for {payee} is negative ({format_value(amount)})")
        return amount, effect.basis(ctx) if with_basis else None
    finally:
        ctx.share = ctx.weight = None
        ctx.artist_id = None


def _pay_line(payee: str, exact: Money, payable: Payable, basis: str | None) -> PayLine:
    """`PayLine(…)` without the named tuple's `__new__`, a Python function."""
    return _new_tuple(PayLine, (payee, exact, payable, basis))


def payment_lines(
    pays: Sequence[Payable], ctx: Context, *, with_basis: bool = True
) -> list[PayLine]:
    """Every payment the use in `ctx` owes under `pays`, exact; a `UseError` naming the
    figure a formula needs and the use does not give, or cannot compute with."""
    lines: list[PayLine] = []
    attribution = ctx.attribution
    for payable in pays:
        try:
            for payee in payable.payees:
                weight = attribution.get(payee) if payable.over_attribution else None
                due = amount_due(payable, payee, weight, ctx, with_basis=with_basis)
                if due is not None:
                    lines.append(_pay_line(payee, due[0], payable, due[1]))
        except Missing as missing:
            raise UseError([_missing_problem(missing, payable.rule)], ctx.use_id) from None
        except EvaluationError as error:
            raise UseError(
                [UseProblem("/metrics/revenue", f"{payable.rule}: {error}")], ctx.use_id
            ) from None
    return lines


def _missing_problem(missing: Missing, rule: str) -> UseProblem:
    if missing.what.startswith("use."):
        pointer = "/" + missing.what.removeprefix("use.").replace(".", "/")
        return UseProblem(pointer, f"{rule} needs this to compute a payment")
    # data about the one in hand, from the data files
    return UseProblem("", f"{rule} needs the {missing.what} to compute a payment")


def round_lines(
    lines: Sequence[tuple[str, Money, str]],
) -> tuple[list[int], list[Decimal], list[tuple[str, Decimal]]]:
    """Round `(payee, exact amount, rule)` lines once per currency, the parts adding up to
    the rounded total (largest remainder, ties to the smallest payee).

    Returns the order the payments are listed in (grouped by currency, in order of first
    appearance), each line's rounded part (by line index), and `(currency, total)` pairs."""
    if len(lines) == 1:  # the common case: one payee, nothing to split, no tie to break
        exact = lines[0][1]
        total, split = split_rounded([exact.amount], exact.currency)
        return [0], split, [(exact.currency, total)]
    by_currency: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        by_currency.setdefault(line[1].currency, []).append(index)
    parts: list[Decimal] = [Decimal(0)] * len(lines)
    totals: list[tuple[str, Decimal]] = []
    order: list[int] = []
    for currency, indexes in by_currency.items():
        total, split = split_rounded(
            [lines[i][1].amount for i in indexes],
            currency,
            [payment_key(lines[i][0], lines[i][2]) for i in indexes],
        )
        totals.append((currency, total))
        for i, part in zip(indexes, split, strict=True):
            parts[i] = part
        order += indexes
    return order, parts, totals


def rounding_reads_payees(lines: Sequence[tuple[str, Money, str]]) -> bool:
    """Whether rounding these `(payee, exact amount, rule)` lines (`round_lines`) can give
    other parts for other payees: only the tie rule reads them (`split_rounded`'s keys),
    and only between two or more lines of one currency."""
    currencies = [line[1].currency for line in lines]
    return len(set(currencies)) != len(currencies)


def refusal(reasons: Iterable[Reason]) -> Outcome:
    """The outcome of a denied use, from its reasons: the `(effect, rule)` of those that
    deny, each once, in order, and where the first of them is written."""
    denial: dict[tuple[str, str], None] = {}
    source = None
    for reason in reasons:  # a loop, not comprehensions: this runs once a denied use
        effect = reason.effect
        if effect in DENYING:
            if not denial:
                source = reason.source
            denial[(effect, reason.rule)] = None
    return new_outcome("deny", (), (), tuple(denial), source)


# A plan's reasons (a tuple of frozen reasons, kept with the plan) → their refusal: a plan
# remembered by the plan memo is refused again and again. Held by identity, with the
# reasons themselves (so that no other object takes their id while they are here);
# bounded, and safe to share between threads (each dict operation is atomic).
_REFUSALS: Final[dict[int, tuple[tuple[Reason, ...], Outcome]]] = {}
_REFUSALS_KEPT: Final = 4096


def plan_refusal(plan: Plan) -> Outcome:
    """The compact outcome of a plan that does not license the use (`refusal` of its
    reasons, remembered): it reads nothing of the use."""
    reasons = plan.reasons
    found = _REFUSALS.get(id(reasons))
    if found is not None and found[0] is reasons:
        return found[1]
    outcome = refusal(reasons)
    if len(_REFUSALS) >= _REFUSALS_KEPT:
        _REFUSALS.clear()
    _REFUSALS[id(reasons)] = (reasons, outcome)
    return outcome


def _decision_of(totals: Sequence[tuple[str, Decimal]]) -> str:
    """A licensed use's decision: `pay` when something is owed, else `allow`."""
    for _, total in totals:  # a loop, not `any(…)`: no generator on every decision
        if total > _NOTHING:
            return "pay"
    return "allow"


_NOTHING: Final = Decimal(0)  # a Decimal compares faster with a Decimal than with an int


def outcome_of(lines: Sequence[tuple[str, Money, str]]) -> Outcome:
    """The outcome of a licensed use with these exact `(payee, amount, rule)` lines."""
    order, parts, totals = round_lines(lines)
    return new_outcome(
        _decision_of(totals),
        tuple((lines[i][0], parts[i], lines[i][1].currency, lines[i][2]) for i in order),
        tuple(totals),
        (),
    )


def price_outcome(plan: Plan, ctx: Context) -> Outcome:
    """`price`, in the compact form: the same decision, rounded payments and denying rules,
    without building the `Decision` (no texts, no validation) — for pipelines."""
    if not plan.licensed:
        return plan_refusal(plan)
    lines = payment_lines(plan.pays, ctx, with_basis=False)
    return outcome_of([(line.payee, line.exact, line.payable.rule) for line in lines])


def outcome_of_decision(index: int, decision: Decision) -> Outcome:
    """The compact form of a full decision (at `index` in a batch): what `price_outcome`
    gives for the same plan."""
    if decision.decision == "deny":
        denied = refusal(decision.reasons)
        return placed(denied, index)
    return Outcome(
        index,
        decision.decision,
        tuple((p.payee, p.amount, p.currency, p.rule) for p in decision.payments),
        tuple((t.currency, t.amount) for t in decision.totals),
        (),
    )


# Shared by every part of every decision, and by every decision (every field set: `trusted`).
_PAYMENT_FIELDS: Final = set(Payment.model_fields)
_TOTAL_FIELDS: Final = set(Total.model_fields)
_DECISION_FIELDS: Final = set(Decision.model_fields)


def price(plan: Plan, ctx: Context) -> Decision:
    """The decision of a plan for the use in `ctx`: payments computed from its figures and
    rounded once (a denied use owes nothing and needs no figures: `refused`)."""
    if not plan.licensed:
        return refused(plan, ctx.use_id)
    payments: list[Payment] = []
    lines = payment_lines(plan.pays, ctx)
    order, parts, rounded = round_lines(
        [(line.payee, line.exact, line.payable.rule) for line in lines]
    )
    for i in order:
        line = lines[i]
        currency = line.exact.currency
        payments.append(
            trusted(
                Payment,
                {
                    "payee": line.payee,
                    "amount": parts[i],
                    "currency": currency,
                    "rule": line.payable.rule,
                    "source": line.payable.effect.source,
                    "basis": f"{line.basis} {equals_money(line.exact.amount, currency)}",
                },
                _PAYMENT_FIELDS,
            )
        )
    totals = [
        trusted(Total, {"amount": total, "currency": currency}, _TOTAL_FIELDS)
        for currency, total in rounded
    ]
    outcome = _decision_of(rounded)
    return _decision(plan, ctx.use_id, outcome, payments, totals)


def refused(plan: Plan, use_id: str | None) -> Decision:
    """The decision of a plan that does not license the use (of id `use_id`): a denial,
    which owes nothing, so it reads nothing of the use but its id."""
    return _decision(plan, use_id, "deny", [], [])


def _decision(
    plan: Plan, use_id: str | None, outcome: str, payments: list[Payment], totals: list[Total]
) -> Decision:
    # Every part was made by the engine, in the models' shapes (`plans.Plan`): built as it
    # is, not validated again (that cost more than deciding).
    return trusted(
        Decision,
        {
            "id": use_id,
            "decision": outcome,
            "payments": payments,
            "totals": totals,
            # Frozen, made once per plan: shared by the decisions priced from it.
            "obligations": list(plan.obligations),
            "reasons": list(plan.reasons),
            "policy": plan.policy,
        },
        _DECISION_FIELDS,
    )
