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

# The roles an artist can have in a use, and which of them a subject goes over: the one
# reading of "who is asked, who is paid" for the checker's opt-in rule and the batch path.
Role = Literal["performer", "named", "attributed"]
_SUBJECT_ROLES: Final[dict[tuple[str, str], frozenset[Role]]] = {
    ("each_artist", "use.touched"): frozenset({"performer", "named", "attributed"}),
    ("each_artist", "use.artists"): frozenset({"named"}),
    ("each_artist", "use.attribution"): frozenset({"attributed"}),
    ("each_performer", "use.works"): frozenset({"performer"}),
}


def subject_roles(kind: str, path: str | None) -> frozenset[Role]:
    """The roles of the artists a subject (`each artist in use.touched`…) goes over; none
    for a party, a work, or a set the checker refuses."""
    return _SUBJECT_ROLES.get((kind, path or ""), frozenset())
