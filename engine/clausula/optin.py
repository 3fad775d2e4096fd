"""Opt-in, checked before anything runs: no contract pays an artist whose consent it does
not require.

A payment to `each artist in use.attribution` (or `use.artists`, `use.touched`, or each
performer of `use.works`) must be covered, in the same contract, by a consent requirement
over a set that contains the payees. When no requirement covers them at all the contract is
refused; when the only one that does bears on some uses and not others (it has a `when`,
an `unless`, a `where`, names its own purposes, or can be set aside by `notwithstanding`)
the author is warned, and the engine itself denies a use whose payees were not asked
(see `decide`: the engine's own opt-in rule).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import ast
from .diagnostics import Span
from .kinds import Role, subject_roles

_ROLE_WORDS: dict[Role, str] = {
    "performer": "the performers of use.works",
    "named": "the artists in use.artists",
    "attributed": "the artists in use.attribution",
}
_FIX = "require consent of each artist in use.touched for use.purpose"


@dataclass(frozen=True, slots=True)
class OptInFinding:
    """A payment not (or not always) covered by a consent requirement of its contract."""

    severity: str  # error | warning
    span: Span
    message: str
    hint: str | None = None


def _roles(subject: ast.Subject) -> frozenset[Role]:
    return subject_roles(subject.kind, subject.path.dotted if subject.path else None)


def _label(provision: ast.Provision) -> str:
    return f"clause {provision.key}" if provision.kind == "clause" else f'rule "{provision.key}"'


def _conditional(
    provision: ast.Provision, effect: ast.RequireConsent, set_aside: set[str]
) -> str | None:
    """Why a requirement may not bear on every use, or None if it always does."""
    if provision.when or provision.unless:
        return "only when its conditions hold"
    if effect.subject.where is not None:
        return "only for those its `where` chooses"
    if isinstance(effect.purposes, tuple) and effect.purposes:
        names = ", ".join(name.name for name in effect.purposes)
        return f"only for {names}"
    if provision.key in set_aside:
        return "and another clause can set it aside"
    return None


def payments_without_consent(block: ast.Block) -> Iterator[OptInFinding]:
    """The payments of a contract to artists on whom no consent requirement of the same
    contract bears (an error), or bears only on some uses (a warning)."""
    if block.kind != "contract":
        return
    set_aside = {
        reference.key
        for provision in block.provisions
        for reference in provision.notwithstanding
        if reference.kind == "clause"
    }
    always: set[Role] = set()
    sometimes: dict[Role, tuple[str, str]] = {}  # role → (clause, why only sometimes)
    for provision in block.provisions:
        for effect in provision.effects:
            if not isinstance(effect, ast.RequireConsent) or effect.void:
                continue  # a `void consent` asks for no consent: it only voids a grant
            why = _conditional(provision, effect, set_aside)
            for role in _roles(effect.subject):
                if why is None:
                    always.add(role)
                else:
                    sometimes.setdefault(role, (_label(provision), why))
    for provision in block.provisions:
        for effect in provision.effects:
            if not isinstance(effect, ast.Pay) or effect.payee is None:
                continue
            needed = _roles(effect.payee)
            unasked = sorted(needed - always - set(sometimes))
            partly = sorted((needed - always) & set(sometimes))
            where = _label(provision)
            if unasked:
                who = (
                    "everyone the use touches"
                    if len(unasked) == len(_ROLE_WORDS)
                    else " and ".join(_ROLE_WORDS[role] for role in unasked)
                )
                yield OptInFinding(
                    "error",
                    effect.payee.span,
                    f"{where} pays {who}, but no clause of `{block.name}` requires their "
                    "consent: opt-in means no payment to an artist who never said yes",
                    hint=f"add a clause such as `{_FIX}`",
                )
            for role in partly:
                clause, why = sometimes[role]
                yield OptInFinding(
                    "warning",
                    effect.payee.span,
                    f"{where} pays {_ROLE_WORDS[role]}, whose consent {clause} requires {why}; "
                    "a use it does not bear on is denied rather than paid without consent",
                    hint=f"to ask every payee, add `{_FIX}`",
                )
