"""The limits on a proposed use, in one place: what a caller may send and be decided on.

Each limit is far above what a real use needs and far below what could exhaust the
engine (recursion, `int` parsing, decimal precision, memory). A use over a limit is not
decided: it is a `UseError` naming the field and the limit. docs/decisions.md#limits
lists them for callers; the JSON Schema of a use (`clausula schema use`) carries the
string and list lengths and the count maxima.
"""

from __future__ import annotations

from decimal import Decimal

MAX_USE_BYTES = 1_048_576
"""One use as JSON text (a request body, one line of JSON Lines): 1 MiB."""

MAX_DEPTH = 32
"""Nesting of JSON objects and arrays. A use nests 4 deep (`metrics.revenue.amount`);
a JSON array of uses one more."""

MAX_NUMBER_CHARS = 40
"""Characters of one number literal in JSON text (`40000`, `-1.5e3`): far more than a
count or a weight needs, far fewer than Python's 4,300-digit `int` limit."""

MAX_AMOUNT = Decimal(10) ** 15
"""Largest amount of money in a use (revenue, and money facts): one quadrillion units.
With at most 28 significant digits in the engine's decimals, an amount this large still
keeps every minor unit through shares, weights and rounding."""

MAX_COUNT = 10**15
"""Largest count (`metrics.generations`, `metrics.streams`) and largest magnitude of a
number fact."""

MAX_FRACTION_DIGITS = 28
"""Decimal places of an attribution weight or a number fact."""

MAX_ID_CHARS = 128
"""Characters of an identifier: the use's `id`, a party or work id."""

MAX_NAME_CHARS = 64
"""Characters of a vocabulary name: `purpose`, `territory`, a `context`, a fact's name."""

MAX_TEXT_CHARS = 1_000
"""Characters of a string fact."""

MAX_WORKS = 10_000
"""Works in one use (`works`)."""

MAX_ARTISTS = 1_000
"""Artists in one use (`artists`), and artists in its `attribution`."""

MAX_CONTEXTS = 32
"""Exception categories claimed by one use (`context`)."""

MAX_FACTS = 100
"""Facts in one use (`facts`)."""


def number_problem(value: int | Decimal) -> str | None:
    """Why a number given in a use is beyond the limits, or None.

    For numbers of facts (counts, numbers, percentages): finite, at most `MAX_COUNT` in
    magnitude, at most `MAX_FRACTION_DIGITS` decimal places.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            return f"{value} is not a number"
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
            return f"a number has at most {MAX_FRACTION_DIGITS} decimal places"
    if abs(Decimal(value)) > MAX_COUNT:
        return f"a number in a use is at most {MAX_COUNT:,} in magnitude"
    return None
