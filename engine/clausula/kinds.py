"""The kinds of effect a clause has and of reason a decision gives, named once.

A new effect kind is added to `EffectKind`; mypy then names every place that dispatches on
kinds with `match … case _: assert_never(…)` and must handle it. A new reason is added to
`ReasonEffect` (and to the description of `models.Reason.effect`, which a test keeps in step).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

#: What a compiled effect does (`CompiledEffect.kind`).
EffectKind = Literal["permit", "deny", "consent", "pay", "pay_nothing", "oblige", "risk", "licence"]

#: The `effect` of a reason in a decision (`models.Reason.effect`).
ReasonEffect = Literal[
    "permit",
    "deny",
    "consent-met",
    "consent-missing",
    "no-licence",
    "licence-met",
    "exception",
    "set-aside",
    "oblige",
    "obligation-met",
    "risk",
    "no-payment",
    "unknown-id",
]

EFFECT_KINDS: Final[tuple[EffectKind, ...]] = get_args(EffectKind)
REASON_EFFECTS: Final[tuple[ReasonEffect, ...]] = get_args(ReasonEffect)

#: The reasons that deny a use: any one of them makes the decision `deny`.
DENYING: Final[frozenset[ReasonEffect]] = frozenset({"deny", "consent-missing", "no-licence"})
