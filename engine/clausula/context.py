"""What one decision evaluates against: the use's `Context`, and what evaluating can raise.

Compiled clauses are closures over a `Context`; everything that varies per use lives here,
computed once per decision, so compiled objects hold no per-decision state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from .errors import ClausulaError
from .money import Money, new_money
from .plain_use import PlainRequest

if TYPE_CHECKING:
    from .models import Metrics, Use


class Missing(ClausulaError):
    """A value the use does not carry (a fact not given): conditions that read it are false.

    `unknown_entity`: the artist or work in hand is not in the data files at all.
    """

    def __init__(self, what: str, *, unknown_entity: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.unknown_entity = unknown_entity


class EvaluationError(ClausulaError):
    """A use that makes a formula impossible (mixed currencies, division by zero)."""


_NO_CONTEXT: Final[frozenset[str]] = frozenset()
# No revenue given: zero in no currency, which adopts the currency it meets (immutable).
_NO_REVENUE: Final = Money(Decimal(0), "")


class Context:
    """Everything about one use that clauses read, computed once per decision."""

    __slots__ = (
        "_generations",
        "_metrics",
        "_revenue",
        "_streams",
        "_subject",
        "artist_id",
        "artists",
        "attribution",
        "catalogue",
        "commercial",
        "context",
        "date",
        "facts",
        "licensee",
        "memo",
        "output",
        "purpose",
        "share",
        "territory",
        "use_id",
        "weight",
        "work_id",
        "works",
    )

    def __init__(self, use: Use | PlainRequest, catalogue: Any, facts: Mapping[str, Any]) -> None:
        # A plain request's fields are read from it: its `Use` is made only when something
        # asks for `use` (a decision never does).
        self._subject = use
        self.catalogue = catalogue
        if isinstance(use, PlainRequest):
            self.use_id: str | None = use.id
            self.date: dt.date = use.date
            self.licensee: str = use.licensee
            self.purpose: str = use.purpose
            self.territory: str = use.territory
            works, artists, context = use.works, use.artists, use.context
            self.attribution: Mapping[str, Decimal] = use.attribution
            self.output = use.output
            self.commercial: bool = use.commercial
            self._metrics: Metrics = use.metrics
        else:
            # The fields read from the models' `__dict__`: an attribute of a pydantic model
            # goes through its `__getattr__` hook, twice the cost, and this runs once a
            # decision.
            fields: dict[str, Any] = use.__dict__
            self.use_id = fields["id"]
            self.date = fields["date"]
            self.licensee = fields["licensee"]
            self.purpose = fields["purpose"]
            self.territory = fields["territory"]
            works, artists, context = fields["works"], fields["artists"], fields["context"]
            self.attribution = fields["attribution"]
            self.output = fields["output"]
            self.commercial = fields["commercial"]
            self._metrics = fields["metrics"]
        # Most uses name no work or no context: no call for those.
        self.works: tuple[str, ...] = tuple(works) if works else ()
        self.artists: tuple[str, ...] = tuple(artists) if artists else ()
        self.context: frozenset[str] = frozenset(context) if context else _NO_CONTEXT
        # The metrics are read when a formula first asks for them: most uses are denied,
        # and a denial reads none.
        self._revenue: Money | None = None
        self._generations: int | None = None
        self._streams: int | None = None
        self.facts = facts
        self.weight: Decimal | None = None
        self.share: Decimal | None = None
        # Values of payment formulas that are the same for every payee, computed once.
        self.memo: dict[int, Any] = {}
        # The artist (or performer) and the work in hand, in `where`, `any(…)` and `pay … to each`.
        self.artist_id: str | None = None
        self.work_id: str | None = None

    @property
    def use(self) -> Use:
        """The use decided."""
        subject = self._subject
        return subject.use() if isinstance(subject, PlainRequest) else subject

    @property
    def revenue(self) -> Money:
        """The use's revenue (zero in no currency when it gives none)."""
        revenue = self._revenue
        if revenue is None:
            given = self._metrics.__dict__["revenue"]
            if given is None:
                revenue = _NO_REVENUE
            else:
                money: dict[str, Any] = given.__dict__
                revenue = new_money(Money, (money["amount"], money["currency"]))
            self._revenue = revenue
        return revenue

    @revenue.setter
    def revenue(self, value: Money) -> None:
        self._revenue = value

    @property
    def generations(self) -> int:
        """The use's count of generations."""
        count = self._generations
        if count is None:
            count = self._generations = self._metrics.__dict__["generations"]
        return count

    @generations.setter
    def generations(self, value: int) -> None:
        self._generations = value

    @property
    def streams(self) -> int:
        """The use's count of streams."""
        count = self._streams
        if count is None:
            count = self._streams = self._metrics.__dict__["streams"]
        return count

    @streams.setter
    def streams(self, value: int) -> None:
        self._streams = value


Fn = Callable[[Context], Any]


def artists_touched(ctx: Context) -> tuple[list[str], list[str]]:
    """Everyone the use touches, each once: the performers of its works (in the order of
    the works), then the artists it names, then those its output is attributed to; and the
    works whose performers the catalogue does not know (so nobody can say who they touch)."""
    found: dict[str, None] = {}
    unknown: list[str] = []
    for work in ctx.works:
        performers = ctx.catalogue.performers_of(work)
        if not performers:
            unknown.append(work)
        found.update(dict.fromkeys(performers))
    found.update(dict.fromkeys(ctx.artists))
    found.update(dict.fromkeys(ctx.attribution))
    return list(found), unknown
