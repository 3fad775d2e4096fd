"""The ISO code nearest to what an author wrote: `Germany` → DE, `EURO` → EUR.

Used by the checker to turn "not a code" into "did you mean …?" for territories and
currencies written as names, or misspelt. Only for messages: nothing is ever corrected
silently.
"""

from __future__ import annotations

import difflib
from functools import cache

import pycountry


@cache
def _country_names() -> dict[str, str]:
    """Every name of every country, lower case → its alpha-2 code."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                names.setdefault(name.lower(), country.alpha_2)
    return names


@cache
def territory_code(name: str) -> str | None:
    """The ISO 3166 code a country or subdivision name stands for, or the nearest one;
    None when nothing is close. `Germany` → DE, `Tennessee` → US-TN, `Germny` → DE."""
    if not name or not any(c.islower() for c in name):
        return None  # a code, not a name: the code's own check says what is wrong
    try:
        return str(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        pass
    subdivisions = [s.code for s in pycountry.subdivisions if s.name.lower() == name.lower()]
    if len(subdivisions) == 1:
        return str(subdivisions[0])
    close = difflib.get_close_matches(name.lower(), _country_names(), n=1, cutoff=0.75)
    return _country_names()[close[0]] if close else None


@cache
def currency_code(written: str) -> str | None:
    """The ISO 4217 code meant by `written` (a name such as `Euro`, or a misspelt code such
    as `EURO` or `USDD`), or None when nothing is close."""
    try:
        return str(pycountry.currencies.lookup(written).alpha_3)
    except LookupError:
        pass
    codes = sorted(c.alpha_3 for c in pycountry.currencies)
    close = difflib.get_close_matches(written.upper(), codes, n=1, cutoff=0.6)
    return close[0] if close else None
