"""The structure of a decision (what applies, to whom payments are due) and its payment
lines, computed once and priced per use, rounded as the engine rounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..compiled import CompiledBlock, CompiledEffect, CompiledProvision
from ..context import Context
from ..decide import condition_holds, contract_miss, decide, subjects, use_facts
from ..errors import ClausulaError
from ..kinds import DENYING
from ..models import Obligation, PolicyInfo, Reason, Use
from ..money import Money, payment_key, split_rounded
from ..policy_set import PolicySet


@dataclass(frozen=True)
class _PayPlan:
    effect: CompiledEffect
    provision: CompiledProvision
    counted: bool  # False: a contract that applied but was not relied on (errors still count)
    payees: tuple[str, ...]
    share: Decimal | None
    over_attribution: bool
    to_party: bool


@dataclass
class _Structure:
    ctx: Context
    denied: bool
    reasons: list[Reason]
    obligations: list[Obligation]
    info: PolicyInfo
    pays: tuple[_PayPlan, ...]
    denial: tuple[tuple[str, str], ...]


def _active(block: CompiledBlock, ctx: Context) -> list[CompiledProvision]:
    """The provisions of a block that hold and are not set aside (as `_run_block` decides)."""
    provisions = block.provisions
    active = [False] * len(provisions)
    for index, provision in enumerate(provisions):
        label = provision.label
        holds = all(condition_holds(condition, ctx, label) for condition in provision.when)
        if holds:
            for condition, _ in provision.unless:
                if condition_holds(condition, ctx, label):
                    holds = False
                    break
        active[index] = holds
    aside = [False] * len(provisions)
    for index in block.order:
        if not active[index] or aside[index]:
            continue
        for target in provisions[index].sets_aside:
            if active[target] and not aside[target]:
                aside[target] = True
    return [p for i, p in enumerate(provisions) if active[i] and not aside[i]]


def _structure(policy_set: PolicySet, use: Use) -> _Structure:
    """The metric-independent part of the decision about `use` (raises `UseError`).

    The decision itself comes from the engine's own `decide` (so that the combining rules
    live in one place); what is added here is which payment formulas applied, to whom.
    """
    policy, records = policy_set.compiled, policy_set._records
    decision = decide(policy, records, use)
    ctx = Context(use, records.catalogue, use_facts(use, policy))
    denied = decision.decision == "deny"
    applied = set(decision.policy.jurisdictions)
    paying: list[tuple[CompiledBlock, bool]] = [
        (block, not denied) for block in policy.jurisdictions if block.name in applied
    ]
    chosen = None if denied else decision.policy.contracts[0]
    paying += [
        (contract, contract.name == chosen)
        for contract in policy.contracts_by_licensee.get(use.licensee, ())
        if contract_miss(contract, ctx) is None
    ]
    plans: list[_PayPlan] = []
    for block, counted in paying:
        for provision in _active(block, ctx):
            for effect in provision.effects:
                if effect.kind != "pay":
                    continue
                subject = effect.subject
                assert subject is not None
                payees = tuple(subjects(ctx, effect)[0])
                plans.append(
                    _PayPlan(
                        effect,
                        provision,
                        counted,
                        payees,
                        Decimal(1) / len(payees) if payees else None,
                        subject.over_attribution,
                        subject.kind == "party",
                    )
                )
    denial = tuple(
        dict.fromkeys((r.effect, r.rule) for r in decision.reasons if r.effect in DENYING)
    )
    return _Structure(
        ctx,
        denied,
        list(decision.reasons),
        list(decision.obligations),
        decision.policy,
        tuple(plans),
        denial if denied else (),
    )


class _Fallback(ClausulaError):
    """This use must take the one-use path (its payments raise there, or may)."""


_Line = tuple[str, Money, _PayPlan, str | None]


def _lines(
    structure: _Structure,
    revenue: Money,
    generations: int,
    streams: int,
    attribution: Mapping[str, Decimal],
    with_basis: bool,
) -> list[_Line]:
    """The payment lines of one use with these metrics (raises `_Fallback`)."""
    ctx = structure.ctx
    ctx.revenue = revenue
    ctx.generations = generations
    ctx.streams = streams
    ctx.attribution = attribution
    ctx.memo = {}
    lines: list[_Line] = []
    try:
        for plan in structure.pays:
            amount_of = plan.effect.amount
            assert amount_of is not None
            for payee in plan.payees:
                ctx.share = plan.share
                ctx.weight = attribution.get(payee) if plan.over_attribution else None
                ctx.artist_id = None if plan.to_party else payee
                amount = amount_of(ctx)
                if not isinstance(amount, Money) or amount.amount == 0:
                    continue
                if amount.amount < 0:
                    raise _Fallback
                if plan.counted:
                    basis = plan.effect.basis(ctx) if with_basis and plan.effect.basis else None
                    lines.append((payee, amount, plan, basis))
    except _Fallback:
        raise
    except Exception:  # the one-use path raises its own, identical, error
        raise _Fallback from None
    finally:
        ctx.share = ctx.weight = None
        ctx.artist_id = None
    return lines


def _rounded(
    lines: list[_Line],
) -> tuple[list[tuple[_Line, Decimal]], list[tuple[str, Decimal]]]:
    """Round once per currency, parts adding up to the total (as the engine does)."""
    by_currency: dict[str, list[_Line]] = {}
    for line in lines:
        by_currency.setdefault(line[1].currency, []).append(line)
    parts_out: list[tuple[_Line, Decimal]] = []
    totals: list[tuple[str, Decimal]] = []
    for currency, group in by_currency.items():
        total, parts = split_rounded(
            [line[1].amount for line in group],
            currency,
            [payment_key(line[0], line[2].provision.label) for line in group],
        )
        totals.append((currency, total))
        parts_out += zip(group, parts, strict=True)
    return parts_out, totals
