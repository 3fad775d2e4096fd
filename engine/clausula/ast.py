"""The abstract syntax of clause files, every node with its source span.

The parser builds these nodes directly while parsing; the checker reads them and never
changes them. Nodes are frozen so that a checked policy can be shared between threads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .diagnostics import Span

# ----------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True, eq=False)
class Expr:
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class DateLit(Expr):
    value: dt.date


@dataclass(frozen=True, slots=True, eq=False)
class MoneyLit(Expr):
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, eq=False)
class PercentLit(Expr):
    value: Decimal  # as written: 12.5 for 12.5%


@dataclass(frozen=True, slots=True, eq=False)
class DurationLit(Expr):
    count: int
    unit: str  # days | months | years


@dataclass(frozen=True, slots=True, eq=False)
class NumberLit(Expr):
    value: Decimal
    text: str


@dataclass(frozen=True, slots=True, eq=False)
class StringLit(Expr):
    value: str


@dataclass(frozen=True, slots=True, eq=False)
class TerritoryLit(Expr):
    code: str  # a code, a group name or `worldwide`


@dataclass(frozen=True, slots=True, eq=False)
class PartyLit(Expr):
    id: str


@dataclass(frozen=True, slots=True, eq=False)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True, slots=True, eq=False)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Path(Expr):
    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True, eq=False)
class Binary(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Negate(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Compare(Expr):
    op: str  # is, is not, in, not in, <, <=, >, >=, =, !=
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=False)
class Logical(Expr):
    op: str  # and | or
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True, eq=False)
class SetLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Call(Expr):
    function: str
    function_span: Span
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, eq=False)
class PerUnit(Expr):
    rate: Expr
    unit: str
    unit_span: Span


@dataclass(frozen=True, slots=True, eq=False)
class Tier:
    limit: Decimal | None  # None: above the last limit
    rate: Expr
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class Tiered(Expr):
    base: Expr
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Quantifier(Expr):
    """`any(artist in use.artists where …)`, `all(work in use.works where …)`."""

    kind: str  # any | all
    variable: str  # artist | performer | work
    path: Path
    condition: Expr


# ----------------------------------------------------------------- effects


@dataclass(frozen=True, slots=True, eq=False)
class Subject:
    """Who consents or is paid: a party, or each artist/performer of a finite part of the use."""

    kind: str  # party | each_artist | each_performer | each_work
    span: Span
    party: str | None = None
    path: Path | None = None
    where: Expr | None = None  # only those for whom this holds (`where artist.minor`)

    @property
    def variable(self) -> str:
        """The name the `where` condition and the amount use for the one in hand."""
        return {"each_artist": "artist", "each_performer": "performer", "each_work": "work"}.get(
            self.kind, ""
        )


@dataclass(frozen=True, slots=True, eq=False)
class Effect:
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class Permit(Effect):
    purposes: tuple[Name, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Deny(Effect):
    message: str | None


@dataclass(frozen=True, slots=True, eq=False)
class RequireConsent(Effect):
    subject: Subject
    purposes: Path | tuple[Name, ...] | None  # None: the use's purpose
    formalities: tuple[frozenset[str], ...]  # alternatives, each a set that must all hold
    # "valid only to the extent the duration does not exceed …": a grant covers uses only
    # until its start plus this cap.
    cap: DurationLit | None = None
    # Grants given while the artist was a minor: further formalities, their own cap, and
    # they end at 18.
    minors: MinorTerms | None = None
    # Who may give the consent (`given by …`, `CONSENTERS`); None: the engine's default.
    consenters: tuple[str, ...] | None = None
    # `, or any consent <formalities>`: alternatives valid without the cap and minor terms.
    exempt: tuple[frozenset[str], ...] = ()
    # `void consent of …`: a statute that voids the grant relied on when it lacks the
    # formalities; a use that relies on no grant is outside it.
    void: bool = False
    # `made from DATE` (void only): grants made (signed, else valid from) before it are
    # outside the statute.
    made_from: DateLit | None = None


@dataclass(frozen=True, slots=True, eq=False)
class MinorTerms:
    formalities: tuple[frozenset[str], ...]
    cap: DurationLit | None
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class RequireLicence(Effect):
    """`require licence of the rights holder for each work in use.works where …`."""

    subject: Subject


@dataclass(frozen=True, slots=True, eq=False)
class Pay(Effect):
    amount: Expr | None  # None: `pay nothing`
    payee: Subject | None


@dataclass(frozen=True, slots=True, eq=False)
class Oblige(Effect):
    text: str
    met: Expr | None = None  # `met when use.output.labelled_ai`: the duty is already done


@dataclass(frozen=True, slots=True, eq=False)
class Risk(Effect):
    """Damages or fines a law states: information on a deny, never a payment."""

    text: str


#: Every kind of effect a clause can have. Functions that handle effects take this union and
#: end with `assert_never`, so that mypy names each one a new kind of effect must reach
#: (docs/contributing.md, "Adding an effect").
AnyEffect = Permit | Deny | RequireConsent | RequireLicence | Pay | Oblige | Risk


# ----------------------------------------------------------------- provisions and blocks


@dataclass(frozen=True, slots=True, eq=False)
class Reference:
    kind: str  # clause | rule
    key: str
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class Provision:
    """A numbered clause of a contract or a rule of a jurisdiction pack."""

    kind: str  # clause | rule
    key: str  # "5.1" or "art. 50(2)"
    title: str | None
    span: Span
    key_span: Span
    cite: str | None = None
    notwithstanding: tuple[Reference, ...] = ()
    when: tuple[Expr, ...] = ()
    unless: tuple[Expr, ...] = ()
    effects: tuple[AnyEffect, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Parameter:
    name: str
    value: Expr
    span: Span
    # `, above 100% intended`: the author says a share above the whole is meant (the
    # literal written, which the checker holds to 100%).
    above_whole: PercentLit | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Definition:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class FactDecl:
    name: str
    type_name: str
    doc: str | None
    span: Span
    type_span: Span


@dataclass(frozen=True, slots=True, eq=False)
class GroupDecl:
    name: str
    members: tuple[TerritoryLit, ...]
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class NameDecl:
    """A purpose or context declared in a vocabulary."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class Header:
    """One header line of a block (licensor, territory, in force …), kept for checking."""

    kind: str
    span: Span
    values: tuple[object, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    kind: str  # vocabulary | contract | jurisdiction
    name: str
    title: str | None
    span: Span
    name_span: Span
    headers: tuple[Header, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    definitions: tuple[Definition, ...] = ()
    facts: tuple[FactDecl, ...] = ()
    provisions: tuple[Provision, ...] = ()
    purposes: tuple[NameDecl, ...] = ()
    contexts: tuple[NameDecl, ...] = ()
    groups: tuple[GroupDecl, ...] = ()
    applies: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class SourceFile:
    path: str
    text: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
