"""Classes of shapes: uses that provably decide alike (why, and when, is argued in the
docstring of `clausula.batch`), their frames and the layouts of their artists and works."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..compiled import CompiledBlock
from ..context import Context
from ..models import Use
from ..plans import Payable
from ..pricing import Outcome

_PERFORMER, _NAMED, _ATTRIBUTED = 1, 2, 4
_ERROR: Any = object()  # a payment formula that raises for these metrics
_ALLOWED = Outcome(-1, "allow", (), (), ())
_MEMO_LIMIT = 400_000  # entries kept per memo before it is cleared
# Grant fields the signature of an artist projects on the use (or, for `note`, leaves out:
# it is never read); every other field of a grant or ledger record is kept as it is.
_GRANT_PROJECTED = frozenset(
    {"id", "grantor", "on_behalf_of", "grantee", "purposes", "territories", "except_territories"}
    | {"note"}
)


_PLAIN = frozenset({str, int, bool, type(None), dt.date, Decimal})  # hashable as they are


def _hashable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most fields: no instance checks (this runs per grant field)
        return value
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _record_facts(record: Any) -> tuple[tuple[str, Any], ...]:
    """What a ledger record (a dataclass) says besides its grant — when it was revoked, and
    the like — as (field, hashable value) pairs; the revocation's free-text reason is
    never read by a decision, so it is left out."""
    kind = type(record)
    names = _RECORD_FIELDS.get(kind)
    if names is None:
        names = _RECORD_FIELDS[kind] = tuple(
            name
            for name in getattr(record, "__dataclass_fields__", {})
            if name not in ("grant", "revocation_reason")
        )
    return tuple((name, _hashable(getattr(record, name))) for name in names)


_RECORD_FIELDS: dict[type, tuple[str, ...]] = {}  # the fields read, per record type


@dataclass(frozen=True, slots=True)
class _Frame:
    """A frame of uses: a use without its works, artists, attribution and metrics."""

    number: int
    use: Use
    licensee: str
    purpose: str
    territory: str
    date: dt.date
    contracts: tuple[CompiledBlock, ...]


@dataclass(frozen=True, slots=True)
class _Signing:
    """What the signature of an artist reads of a use besides the date: the licensee, the
    purpose and the territory (its grants cover it or not), and the date only when the
    ledger answers as of a day. Uses of one frame may differ here (the territories of a
    frame agree on every set the clauses and contracts test, not on every grant's)."""

    number: int
    licensee: str
    purpose: str
    territory: str
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class _Layout:
    """The artists and works of a shape in canonical order (first seen: the performers of
    the works, then `use.artists`, then the attribution), and how they are connected."""

    artists: tuple[str, ...]
    roles: tuple[int, ...]
    works: tuple[str, ...]
    graph: tuple[Any, ...]
    number: int = -1
    graph_number: int = -1


def _layout(
    works: Sequence[str],
    artists: Sequence[str],
    attributed: Iterable[str],
    performers_of: Callable[[str], tuple[str, ...]],
) -> _Layout:
    found: dict[str, int] = {}
    roles: list[int] = []

    def place_of(artist: str, role: int) -> int:
        """The artist's place in the layout (a new one on first sight), with `role` added."""
        place = found.get(artist)
        if place is None:
            place = found[artist] = len(roles)
            roles.append(role)
        else:
            roles[place] |= role
        return place

    distinct: dict[str, int] = {}
    positions: list[int] = []
    performers: list[tuple[int, ...]] = []
    for work in works:
        index = distinct.get(work)
        if index is None:
            index = distinct[work] = len(distinct)
            performers.append(tuple(place_of(a, _PERFORMER) for a in performers_of(work)))
        positions.append(index)
    places = [
        tuple(place_of(artist, role) for artist in group)
        for group, role in ((artists, _NAMED), (attributed, _ATTRIBUTED))
    ]
    return _Layout(
        tuple(found),
        tuple(roles),
        tuple(distinct),
        (tuple(positions), tuple(performers), places[0], places[1]),
    )


@dataclass(frozen=True, slots=True)
class _SlotPlan:
    """A payment formula of the class's plan, with its payees as places in the layout."""

    payable: Payable  # as planned for the representative
    slots: tuple[tuple[int, Any], ...]  # (0, party id) | (1, artist index) | (2, work index)
    memo_id: int  # what the amount depends on besides metrics and weight
    per_payee: bool  # the amount may depend on the payee (not only on `weight`)


class _Class:
    """Shapes that decide alike: the same frame, and works and artists that the policy
    cannot tell apart (see the module docstring). Resolved with its first use."""

    __slots__ = (
        "answer",
        "by_metrics",
        "ctx",
        "dead",
        "denied",
        "failures",
        "frame",
        "layout",
        "metrics",
        "number",
        "plans",
        "resolved",
    )

    def __init__(self, number: int, frame: _Frame, layout: _Layout) -> None:
        self.number = number
        self.frame = frame
        self.layout = layout  # of the representative
        self.resolved = False
        self.dead = False  # its representative kept raising: every use takes the one-use path
        self.failures = 0
        self.denied = False
        self.plans: tuple[_SlotPlan, ...] = ()
        self.ctx: Context | None = None
        self.metrics: tuple[Any, ...] | None = None  # the metrics `ctx` holds
        self.answer = _ALLOWED  # the answer when nothing is due (or the use is denied)
        self.by_metrics = False  # the answer depends only on the metrics


_Classified = tuple[_Class, _Layout, Mapping[str, Decimal], int]
_Dated = tuple[int, tuple[dt.date, ...] | None]  # a template signature, the dates it is relative to
