"""The shape of a plan: what applies to a use, without money.

`decide.plan` makes a `Plan` from the compiled policy, the records and the use;
`pricing.price` turns it into the `Decision` with the use's figures. The batch evaluator
keeps one plan per class of uses that decide alike and prices each use of the class.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, NamedTuple

from .compiled import CompiledEffect
from .kinds import ReasonEffect
from .models import Obligation, PolicyInfo, Reason
from .trusted_models import trusted


class Payable(NamedTuple):
    """A payment formula that applies to a use, and to whom it pays (the amounts are the
    pricing's). `share` is each payee's equal share (`share` in the formula)."""

    effect: CompiledEffect
    rule: str  # the clause's label, e.g. "aria-optin-2026 §4.1"
    payees: tuple[str, ...]
    over_attribution: bool  # `weight` is each payee's attribution weight
    to_party: bool  # paid to a party the clause names, not to each artist or work

    @property
    def share(self) -> Decimal | None:
        """Each payee's equal share of a payment to a group (None: no payee)."""
        return Decimal(1) / len(self.payees) if self.payees else None


class Plan(NamedTuple):
    """What applies to a use: the answer but for its amounts (a named tuple: immutable,
    and cheaper to make, once a decision, than a frozen dataclass).

    A denied use's plan is the whole answer (`licensed` False, no payables). Its reasons
    and obligations are the decision's own: frozen models, made once per plan (or once per
    policy, for a fixed reason) and shared by the decisions priced from it."""

    licensed: bool
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...]
    pays: tuple[Payable, ...]
    policy: PolicyInfo  # shared between plans that name the same contracts and packs


# Made without the named tuples' `__new__`, a Python function (compiled code calls it for
# `Plan(…)`); the functions below keep each field's type checked.
_new_tuple: Final = tuple.__new__


def new_plan(
    licensed: bool,
    reasons: tuple[Reason, ...],
    obligations: tuple[Obligation, ...],
    pays: tuple[Payable, ...],
    policy: PolicyInfo,
) -> Plan:
    """`Plan(licensed, reasons, obligations, pays, policy)`, made at a C call's cost."""
    return _new_tuple(Plan, (licensed, reasons, obligations, pays, policy))


def new_payable(
    effect: CompiledEffect,
    rule: str,
    payees: tuple[str, ...],
    over_attribution: bool,
    to_party: bool,
) -> Payable:
    """`Payable(effect, rule, payees, over_attribution, to_party)`, made at a C call's cost."""
    return _new_tuple(Payable, (effect, rule, payees, over_attribution, to_party))


# Shared by every reason and obligation (frozen models, every field set: `trusted`).
_REASON_FIELDS: Final = set(Reason.model_fields)
_OBLIGATION_FIELDS: Final = set(Obligation.model_fields)


def reason(
    effect: ReasonEffect, rule: str, message: str, source: str | None, citation: str | None = None
) -> Reason:
    """One reason of a decision, as the engine made it (no validation: `trusted`)."""
    return trusted(
        Reason,
        {
            "effect": effect,
            "rule": rule,
            "message": message,
            "citation": citation,
            "source": source,
        },
        _REASON_FIELDS,
    )


def obligation(rule: str, text: str, citation: str | None, source: str) -> Obligation:
    """One obligation of a decision, as the engine made it (no validation: `trusted`)."""
    return trusted(
        Obligation,
        {"rule": rule, "text": text, "citation": citation, "source": source},
        _OBLIGATION_FIELDS,
    )
