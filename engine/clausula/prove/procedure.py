"""The decision of a whole policy set as formulas: `decide.plan` and `price`, step by step.

1. A pack applies when in force (a proposed one only when assumed) and its `applies when`
   holds; its denies and unmet requirements deny, its payments count.
2. The licensee's contracts, in name order, apply when the date, territory and scope fit;
   the first that permits the purpose and is not blocked licenses the use.
3. The use is licensed when a contract licenses it and no pack blocks it; it then pays the
   payments of the packs and of that contract (per payee, exact, before rounding).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import z3

from .encode import FALSE, Encoder, PayTerm

_ATOM_OPT_IN = "opt-in:{}"


@dataclass
class DecisionSym:
    """The decision of a symbolic use under one policy set."""

    licensed: Any  # z3 Bool
    chosen: dict[str, Any]  # contract name → z3 Bool: this contract licenses the use
    packs: dict[str, Any]  # pack name → z3 Bool: applies
    paid: dict[str, Any] = field(default_factory=dict)  # payee → z3 Real (exact, licensed uses)
    currency: dict[str, str] = field(default_factory=dict)  # payee → currency
    payee_rules: dict[str, list[str]] = field(default_factory=dict)
    # payee → (when it is paid, given the use is licensed; the payment; its rule)
    terms: dict[str, list[tuple[Any, PayTerm, str]]] = field(default_factory=dict)


def decision(
    encoder: Encoder, assumed: Iterable[str] = (), licensee: str | None = None
) -> DecisionSym:
    """The decision of `encoder`'s policy set; `licensee` fixes the use's licensee (else the
    space's licensee variable decides which contracts are the licensee's)."""
    space = encoder.space
    compiled = encoder.compiled
    wanted = set(assumed)
    packs: dict[str, Any] = {}
    pack_blocked: list[Any] = []
    pays: list[tuple[Any, PayTerm, str]] = []  # (condition, payment, rule)
    for pack in compiled.jurisdictions:
        block = encoder.blocks[pack.name]
        applies = FALSE if pack.proposed and pack.name not in wanted else block.applies
        packs[pack.name] = applies
        pack_blocked.append(z3.And(applies, block.blocked))
        for p in block.provisions:
            for term in p.pays:
                pays.append((z3.And(applies, p.active, term.nonempty), term, p.label))
    chosen: dict[str, Any] = {}
    taken: Any = FALSE
    for owner, contracts in sorted(compiled.contracts_by_licensee.items()):
        mine = z3.BoolVal(owner == licensee) if licensee is not None else space.licensee_is(owner)
        for contract in contracts:
            block = encoder.blocks[contract.name]
            each_paid = any(term.each for p in block.provisions for term in p.pays)
            unasked = (
                encoder.atom(
                    _ATOM_OPT_IN.format(contract.name),
                    "bool",
                    FALSE,
                    "the opt-in rule (payees' consent)",
                    FALSE,  # with people: the one artist's consent is asked for and found
                )
                if each_paid
                else FALSE
            )
            licenses = z3.And(mine, block.applies, block.permitted, z3.Not(block.blocked))
            chosen[contract.name] = z3.And(licenses, z3.Not(taken), z3.Not(unasked))
            # The first contract that permits and is not blocked is relied on; the opt-in rule
            # then denies, without trying the next one.
            taken = z3.Or(taken, licenses)
            for p in block.provisions:
                for term in p.pays:
                    pays.append(
                        (z3.And(chosen[contract.name], p.active, term.nonempty), term, p.label)
                    )
    licensed = z3.And(
        z3.Or(list(chosen.values()) or [FALSE]), z3.Not(z3.Or(pack_blocked or [FALSE]))
    )
    out = DecisionSym(licensed, chosen, packs)
    for condition, term, rule in pays:
        out.terms.setdefault(term.payee, []).append((condition, term, rule))
        out.payee_rules.setdefault(term.payee, []).append(rule)
        out.paid[term.payee] = out.paid.get(term.payee, z3.RealVal(0)) + z3.If(
            z3.And(licensed, condition), term.amount, z3.RealVal(0)
        )
        out.currency[term.payee] = term.currency
    return out
