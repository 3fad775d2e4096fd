"""Territories: ISO 3166-1 countries, ISO 3166-2 subdivisions, named groups and exclusions.

A subdivision lies inside its country: a use in `US-TN` is a use in `US`. Groups (EU, EEA)
are declared by policy files and expanded here to sets of codes once, at load time, so that
a membership test during a decision is two set lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

import pycountry

WORLDWIDE = "worldwide"


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=1)
def _subdivision_codes() -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions)


def country_of(code: str) -> str:
    """The country a code lies in: `US-TN` → `US`; a country is its own country."""
    return code.split("-", 1)[0]


# Places that have an ISO 3166-1 code of their own and are also an ISO 3166-2 subdivision
# of the country whose law reaches them: a use in `PR` is a use in `US-PR`, so in `US`
# (a federal statute applies in every state and territory), and the other way round.
# Listed, not derived from ISO 3166-2 wholesale: the parent's law must really reach the
# place. The US outlying areas (ISO 3166-2:US); the French outermost regions and Åland,
# where EU law applies (TFEU Art. 349, 355(1), 355(4)). Left out on purpose: Hong Kong and
# Macao (CN-HK, CN-MO: national law applies only as their Basic Laws say), Aruba, Curaçao
# and Sint Maarten (NL-AW, NL-CW, NL-SX) and the French overseas collectivities outside
# the EU (FR-NC, FR-PF, FR-PM, FR-TF, FR-WF, FR-BL), Svalbard and Jan Mayen (NO-21, NO-22).
ALIASES: dict[str, str] = {
    "AS": "US-AS",
    "GU": "US-GU",
    "MP": "US-MP",
    "PR": "US-PR",
    "UM": "US-UM",
    "VI": "US-VI",
    "GP": "FR-971",
    "MQ": "FR-972",
    "GF": "FR-973",
    "RE": "FR-974",
    "YT": "FR-976",
    "MF": "FR-MF",
    "AX": "FI-01",
}
_ALIASED = {**ALIASES, **{sub: code for code, sub in ALIASES.items()}}


@lru_cache(maxsize=4096)
def places_of(code: str) -> frozenset[str]:
    """Every code a use in `code` lies in: itself, its country, and the other name of an
    aliased place with its country (`PR` → PR, US-PR, US)."""
    codes = {code, country_of(code)}
    alias = _ALIASED.get(code)
    if alias is not None:
        codes |= {alias, country_of(alias)}
    return frozenset(codes)


@lru_cache(maxsize=4096)
def code_problem(code: str) -> str | None:
    """None when `code` is an ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision.

    Otherwise one plain sentence saying what is wrong, with a suggestion when one is close.
    """
    from .diagnostics import did_you_mean
    from .nearest import territory_code

    if any(c.islower() for c in code):  # a name such as `Germany`, not a code
        meant = territory_code(code)
        return f"`{code}` is not a territory code" + (f"; did you mean {meant}?" if meant else "")
    if "-" in code:
        country = country_of(code)
        if country not in _country_codes():
            return f"`{code}` is not a subdivision: `{country}` is not an ISO 3166-1 country code"
        if code not in _subdivision_codes():
            siblings = [s for s in _subdivision_codes() if s.startswith(country + "-")]
            hint = did_you_mean(code, siblings)
            return f"`{code}` is not an ISO 3166-2 subdivision of {country}" + (
                f"; {hint}" if hint else ""
            )
        return None
    if code not in _country_codes():
        hint = did_you_mean(code, _country_codes())
        return f"`{code}` is not an ISO 3166-1 country code" + (f"; {hint}" if hint else "")
    return None


_INSIDE_KEPT: Final = 4096  # answers a set keeps (codes of places: a few thousand exist)


@dataclass(frozen=True, slots=True)
class TerritorySet:
    """Where something applies: everywhere (`include is None`) or the listed codes, minus exclusions.

    Codes may be countries or subdivisions; groups are already expanded.
    """

    include: frozenset[str] | None
    exclude: frozenset[str] = frozenset()
    label: str = ""
    # Each territory asked about → whether it lies inside: a contract's or a grant's set
    # is asked about the same few territories at every decision. Not part of the value.
    _inside: dict[str, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def contains(self, territory: str) -> bool:
        """Whether a use in `territory` (a country or subdivision code) lies inside this set."""
        inside = self._inside.get(territory)
        if inside is None:
            inside = self._holds(territory)
            if len(self._inside) < _INSIDE_KEPT:  # bounded; then it only computes
                self._inside[territory] = inside
        return inside

    def _holds(self, territory: str) -> bool:
        places = places_of(territory)
        if not places.isdisjoint(self.exclude):
            return False
        if self.include is None:
            return True
        return not places.isdisjoint(self.include)

    def __str__(self) -> str:
        return self.label or describe(self.include, self.exclude)


@lru_cache(maxsize=1024)  # a set is described in every reason that names it
def describe(include: frozenset[str] | None, exclude: frozenset[str]) -> str:
    """A readable rendering: `worldwide except CN, RU` or `DE, FR`."""
    head = WORLDWIDE if include is None else ", ".join(sorted(include))
    return f"{head} except {', '.join(sorted(exclude))}" if exclude else head


@dataclass(frozen=True)
class TerritoryRegistry:
    """The named territory groups of a policy set, each expanded to a set of codes."""

    groups: Mapping[str, frozenset[str]]

    def is_group(self, name: str) -> bool:
        return name in self.groups

    def problem(self, name: str) -> str | None:
        """None if `name` is `worldwide`, a declared group or a valid ISO code."""
        if name == WORLDWIDE or name in self.groups:
            return None
        problem = code_problem(name)
        if problem and name.isupper() and "-" not in name and len(name) != 2:
            from .diagnostics import did_you_mean

            hint = did_you_mean(name, self.groups)
            return f"`{name}` is neither a declared territory group nor a country code" + (
                f"; {hint}" if hint else ""
            )
        return problem

    def expand(self, name: str) -> frozenset[str] | None:
        """The codes a name stands for; None for `worldwide`."""
        if name == WORLDWIDE:
            return None
        return self.groups.get(name, frozenset({name}))

    def territory_set(self, include: Iterable[str], exclude: Iterable[str] = ()) -> TerritorySet:
        """Build a set from names (codes, groups, `worldwide`)."""
        codes: set[str] | None = set()
        include_names = list(include)
        for name in include_names:
            expanded = self.expand(name)
            if expanded is None:
                codes = None
                break
            assert codes is not None
            codes |= expanded
        excluded: set[str] = set()
        exclude_names = list(exclude)
        for name in exclude_names:
            expanded = self.expand(name)
            if expanded is not None:
                excluded |= expanded
        label = ", ".join(include_names) + (
            f" except {', '.join(exclude_names)}" if exclude_names else ""
        )
        return TerritorySet(
            include=None if codes is None else frozenset(codes),
            exclude=frozenset(excluded),
            label=label,
        )
