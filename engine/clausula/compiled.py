"""The compiled form of a policy that the decision runs: immutable, closures over a
`Context`, indexes by licensee, and the prefilter of every block and pack."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .context import Fn
from .durations import Duration
from .kinds import EffectKind, Role
from .prefilter import Candidates, Guard
from .territory import TerritorySet

if TYPE_CHECKING:
    from .models import Reason


@dataclass(frozen=True, slots=True)
class SubjectFn:
    """Who a consent requirement or a payment is about, per use."""

    kind: str
    describe: str
    party: str | None = None
    over_attribution: bool = False
    touched: bool = False  # everyone the use touches (`each artist in use.touched`)
    where: Fn | None = None  # only those in hand for whom this holds
    roles: frozenset[Role] = frozenset()  # `kinds.subject_roles` of the subject


@dataclass(frozen=True, slots=True)
class CompiledEffect:
    kind: EffectKind
    source: str
    purposes: frozenset[str] = frozenset()
    message: str | None = None
    subject: SubjectFn | None = None
    consent_purposes: tuple[str, ...] | None = None  # None: the use's purpose
    formalities: tuple[frozenset[str], ...] = ()
    amount: Fn | None = None
    basis: Fn | None = None
    cap: Duration | None = None  # a grant covers uses only until its start plus this
    minors: tuple[tuple[frozenset[str], ...], Duration | None] | None = None
    met: Fn | None = None  # an obligation already fulfilled when this holds
    # Who may give a consent (`consenters` kinds); None: `consenters.DEFAULT`.
    consenters: frozenset[str] | None = None
    # Formalities that make a grant valid without `cap` and `minors` (`, or any consent …`).
    exempt: tuple[frozenset[str], ...] = ()
    # `void consent of …`: only a grant relied on can fail; no grant relied on, no effect.
    void: bool = False
    made_from: dt.date | None = None  # void: grants made before this are outside the statute


@dataclass(frozen=True, slots=True)
class CompiledProvision:
    key: str
    label: str  # "aria-optin-2026 §5.1" or "eu-ai-act art. 50(2)"
    title: str | None
    citation: str | None
    source: str
    when: tuple[Fn, ...]  # at most one: all the `when` lines as one condition
    unless: tuple[tuple[Fn, str], ...]
    effects: tuple[CompiledEffect, ...]
    sets_aside: tuple[int, ...]
    guard: Guard | None = None  # of `when`, all lines together; see `Candidates`
    # The fixed reasons this provision gives (`decide`: a permit's, per effect and
    # purpose), made once and shared by the plans that give them; never changed.
    said: dict[tuple[str, str], Reason] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CompiledBlock:
    kind: str
    name: str
    title: str | None
    source: str
    provisions: tuple[CompiledProvision, ...]
    order: tuple[int, ...]
    applies: tuple[Fn, ...]
    territory: TerritorySet | None
    licensor: str | None
    licensee: str | None
    start: dt.date | None
    end: dt.date | None
    scope_kind: str
    scope_works: frozenset[str] | None  # None: all works
    scope_artists: frozenset[str] | None
    scope_label: str
    proposed: bool
    text: str | None
    parameters: Mapping[str, Any]
    after_enactment: Duration | None = None
    guard: Guard | None = None  # of `applies when`; see `Candidates`
    overrides: bool = False  # whether any provision sets another aside (`notwithstanding`)
    # The provisions that can hold for a (purpose, territory); see `Candidates`.
    candidates: Candidates = field(default_factory=lambda: Candidates(()))
    # The fixed reasons this block gives (`decide`: why a contract does not apply or does
    # not permit a purpose), made once and shared by the plans that give them; never changed.
    said: dict[tuple[str, str], Reason] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    # The checker's `Vocabulary`, typed loosely: the decision path never imports the checker,
    # and the compiled build reads a dataclass's field types when the module loads.
    vocabulary: Any
    contracts_by_licensee: Mapping[str, tuple[CompiledBlock, ...]]
    jurisdictions: tuple[CompiledBlock, ...]
    contract_names: tuple[str, ...]
    # The jurisdiction packs whose `applies when` can hold for a (purpose, territory).
    jurisdictions_for: Candidates = field(default_factory=lambda: Candidates(()))
