"""The symbolic use: every field of a `Use` that clauses read, as z3 variables over finite or
exact domains, and a z3 model turned back into a concrete use (a witness) for the engine.

Domains, and why they are exact:
- purpose, context, output flags, `commercial`: the vocabulary's finite sets, one variable each;
- territory: an index into *territory classes*. A clause can only tell codes apart by the
  sets it names (`use.territory in EU`, a contract's territory, `is US`), and a code's
  membership depends only on the code and its country (`TerritorySet.contains`); codes with
  the same membership in every set of the policies are one class, decided alike;
- date: an integer day (ordinal), so `<` and `+ n days` are exact;
- revenue: an integer number of cents (a witness is a decimal the engine reads exactly);
  generations and streams: non-negative integers;
- facts: whether given, and the value: booleans, dates, counts, numbers in thousandths,
  strings as "one of the literals the policies compare with, or another".
Works, artists, attribution and the records they read are not variables: see `encode`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import z3

from ..models import Output
from ..territory import TerritorySet, _country_codes, _subdivision_codes, country_of

#: The dates a symbolic use may have: wide enough for every term and law, bounded for speed.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
#: An upper bound of the metrics in a witness (the engine's own limits are far above).
MAX_CENTS = 10**12
MAX_COUNT = 10**9
#: A string fact's value that no policy names (a witness needs some string).
OTHER_STRING = "other-value"
#: A licensee that no contract names.
OTHER_LICENSEE = "party:analyze-other-licensee"


@dataclass(frozen=True)
class TerritoryClass:
    """Codes that every territory set of the policies treats alike; `code` stands for them."""

    code: str
    size: int
    members: tuple[str, ...] = ()  # every code of the class that is a country or named


def territory_classes(
    sets: Iterable[TerritorySet], named: Iterable[str]
) -> tuple[TerritoryClass, ...]:
    """The classes of territory codes under `sets` and equality with each code in `named`."""
    features = list(dict.fromkeys(sets, None))
    codes_named = sorted(set(named))
    mentioned: set[str] = set(codes_named)
    for item in features:
        mentioned |= set(item.include or ()) | set(item.exclude)
    countries = {country_of(code) for code in mentioned}
    subdivisions = _subdivision_codes()
    candidates = set(_country_codes()) | {c for c in mentioned if c in subdivisions}
    for country in sorted(countries):  # one subdivision of each country that no set names
        spare = sorted(
            s for s in subdivisions if s.startswith(country + "-") and s not in mentioned
        )
        if spare:
            candidates.add(spare[0])
    by_signature: dict[tuple[bool, ...], list[str]] = {}
    for code in sorted(candidates, key=lambda c: (len(c) > 2, c)):
        signature = tuple(s.contains(code) for s in features) + tuple(
            code == n for n in codes_named
        )
        by_signature.setdefault(signature, []).append(code)
    return tuple(
        TerritoryClass(
            codes[0], len(codes), tuple(c for c in codes if len(c) == 2 or c in mentioned)
        )
        for codes in by_signature.values()
    )


@dataclass
class FactVar:
    name: str
    kind: str
    given: Any  # z3 Bool
    value: Any  # z3 expression (None: not encodable)
    strings: dict[str, int] = field(default_factory=dict)  # string literal → index (0: other)


class Space:
    """The variables of one symbolic use, shared by every policy set encoded over it."""

    def __init__(
        self,
        *,
        purposes: Iterable[str],
        contexts: Iterable[str],
        territories: tuple[TerritoryClass, ...],
        licensees: Iterable[str],
        facts: Mapping[str, Any],
        currency: str,
        sets: Iterable[TerritorySet] = (),
    ) -> None:
        self.purposes = sorted(set(purposes))
        self.contexts = sorted(set(contexts))
        self.flags = list(Output.model_fields)
        self.territories = territories
        self.licensees = [*sorted(set(licensees)), OTHER_LICENSEE]
        self.currency = currency
        self.purpose = z3.Int("purpose")
        self.territory = z3.Int("territory")
        self.date = z3.Int("date")
        self.licensee = z3.Int("licensee")
        self.context = {c: z3.Bool(f"context.{c}") for c in self.contexts}
        self.output = {f: z3.Bool(f"output.{f}") for f in self.flags}
        self.commercial = z3.Bool("commercial")
        self.cents = z3.Int("revenue.cents")
        self.revenue = z3.ToReal(self.cents) / 100
        self.generations = z3.Int("generations")
        self.streams = z3.Int("streams")
        self.facts: dict[str, FactVar] = {}
        for name, declared in sorted(facts.items()):
            kind = declared.kind
            given = z3.Bool(f"fact.{name}.given")
            value: Any
            if kind == "boolean":
                value = z3.Bool(f"fact.{name}")
            elif kind in ("date", "count", "string"):
                value = z3.Int(f"fact.{name}")
            elif kind in ("number", "percentage"):
                value = z3.ToReal(z3.Int(f"fact.{name}.thousandths")) / 1000
            else:  # money and territory facts: not encoded (their uses become opaque)
                value = None
            self.facts[name] = FactVar(name, kind, given, value)

    # ------------------------------------------------------------- helpers for encoders
    def purpose_is(self, name: str) -> Any:
        if name not in self.purposes:
            return z3.BoolVal(False)
        return self.purpose == self.purposes.index(name)

    def territory_in(self, item: TerritorySet) -> Any:
        return z3.Or(
            [self.territory == i for i, c in enumerate(self.territories) if item.contains(c.code)]
            or [z3.BoolVal(False)]
        )

    def territory_is(self, code: str) -> Any:
        return z3.Or(
            [self.territory == i for i, c in enumerate(self.territories) if c.code == code]
            or [z3.BoolVal(False)]
        )

    def licensee_is(self, party: str) -> Any:
        if party not in self.licensees:
            return z3.BoolVal(False)
        return self.licensee == self.licensees.index(party)

    def string_index(self, fact: str, literal: str) -> int:
        strings = self.facts[fact].strings
        if literal not in strings:
            strings[literal] = len(strings) + 1
        return strings[literal]

    def bounds(self, *, figures_bounded: bool = True) -> list[Any]:
        """The domain of every variable (after all encoders registered their strings);
        without `figures_bounded`, revenue, generations and streams have no upper bound."""
        out = [
            self.purpose >= 0,
            self.purpose < len(self.purposes),
            self.territory >= 0,
            self.territory < len(self.territories),
            self.date >= FIRST_DAY.toordinal(),
            self.date <= LAST_DAY.toordinal(),
            self.licensee >= 0,
            self.licensee < len(self.licensees),
            self.cents >= 0,
            self.generations >= 0,
            self.streams >= 0,
        ]
        if figures_bounded:
            out += [
                self.cents <= MAX_CENTS,
                self.generations <= MAX_COUNT,
                self.streams <= MAX_COUNT,
            ]
        for fact in self.facts.values():
            if fact.kind == "string":
                out += [fact.value >= 0, fact.value <= len(fact.strings)]
            elif fact.kind == "count":
                out += [fact.value >= 0, fact.value <= MAX_COUNT]
            elif fact.kind == "date":
                out += [
                    fact.value >= FIRST_DAY.toordinal(),
                    fact.value <= LAST_DAY.toordinal(),
                ]
            elif fact.kind in ("number", "percentage"):
                thousandths = z3.Int(f"fact.{fact.name}.thousandths")
                out += [thousandths >= -(10**12), thousandths <= 10**12]
            elif fact.value is None:
                out.append(z3.Not(fact.given))  # never given: a use with it is not encoded
        return out

    def simplest(self) -> list[Any]:
        """Soft goals for a minimal witness: nothing claimed, no figures."""
        goals: list[Any] = [z3.Not(v) for v in self.context.values()]
        goals += [z3.Not(v) for v in self.output.values()]
        goals += [z3.Not(f.given) for f in self.facts.values()]
        goals += [z3.Not(self.commercial), self.cents == 0, self.generations == 0]
        goals += [self.streams == 0]
        return goals

    # ------------------------------------------------------------- witnesses
    def witness(self, model: Any, *, licensee: str | None = None) -> dict[str, Any]:
        """The concrete use of a z3 model, as the JSON a caller sends."""

        def integer(expr: Any) -> int:
            return int(model.eval(expr, model_completion=True).as_long())

        def boolean(expr: Any) -> bool:
            return bool(z3.is_true(model.eval(expr, model_completion=True)))

        facts: dict[str, Any] = {}
        for name, fact in self.facts.items():
            if fact.value is None or not boolean(fact.given):
                continue
            if fact.kind == "boolean":
                facts[name] = boolean(fact.value)
            elif fact.kind == "date":
                facts[name] = dt.date.fromordinal(integer(fact.value)).isoformat()
            elif fact.kind == "count":
                facts[name] = integer(fact.value)
            elif fact.kind == "string":
                index = integer(fact.value)
                names = {i: s for s, i in fact.strings.items()}
                facts[name] = names.get(index, OTHER_STRING)
            else:
                thousandths = Decimal(integer(z3.Int(f"fact.{name}.thousandths"))) / 1000
                facts[name] = str(thousandths * 100 if fact.kind == "percentage" else thousandths)
        cents = integer(self.cents)
        return {
            "id": "witness",
            "date": dt.date.fromordinal(integer(self.date)).isoformat(),
            "licensee": licensee or self.licensees[integer(self.licensee)],
            "purpose": self.purposes[integer(self.purpose)],
            "territory": self.territories[integer(self.territory)].code,
            "works": [],
            "artists": [],
            "attribution": {},
            "output": {f: boolean(v) for f, v in self.output.items()},
            "context": [c for c, v in self.context.items() if boolean(v)],
            "commercial": boolean(self.commercial),
            "metrics": {
                "revenue": {"amount": str(Decimal(cents) / 100), "currency": self.currency},
                "generations": integer(self.generations),
                "streams": integer(self.streams),
            },
            "facts": facts,
        }
