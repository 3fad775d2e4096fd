"""Every limit on what the engine is given, in one place: the sizes of a proposed use
(what a caller may send and be decided on) and of a policy (what an author may write).

Each limit is far above what real input needs and far below what could exhaust the engine
(recursion, `int` parsing, decimal precision, memory). Input over a limit is refused with
its place — a `UseError` naming the field and the limit, or a located diagnostic — never a
crash. docs/decisions.md ("Limits") lists the limits of a use for callers, and the JSON
Schema of a use (`clausula schema use`) carries its string and list lengths and count
maxima; docs/language.md ("Limits") lists the limits of a policy for authors. Keep them in
step.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

# ------------------------------------------------------------------ uses

MAX_USE_BYTES: Final = 1_048_576
"""One use as JSON text (a request body, one line of JSON Lines): 1 MiB."""

MAX_DEPTH: Final = 32
"""Nesting of JSON objects and arrays. A use nests 4 deep (`metrics.revenue.amount`);
a JSON array of uses one more."""

MAX_NUMBER_CHARS: Final = 40
"""Characters of one number literal in JSON text (`40000`, `-1.5e3`): far more than a
count or a weight needs, far fewer than Python's 4,300-digit `int` limit."""

MAX_AMOUNT: Final = Decimal(10) ** 15
"""Largest amount of money in a use (revenue, and money facts): one quadrillion units.
With at most 28 significant digits in the engine's decimals, an amount this large still
keeps every minor unit through shares, weights and rounding."""

MAX_COUNT: Final = 10**15
"""Largest count (`metrics.generations`, `metrics.streams`) and largest magnitude of a
number fact."""

MAX_FRACTION_DIGITS: Final = 28
"""Decimal places of an attribution weight or a number fact."""

MAX_ID_CHARS: Final = 128
"""Characters of an identifier: the use's `id`, a party or work id."""

MAX_NAME_CHARS: Final = 64
"""Characters of a vocabulary name: `purpose`, `territory`, a `context`, a fact's name."""

MAX_TEXT_CHARS: Final = 1_000
"""Characters of a string fact."""

MAX_WORKS: Final = 10_000
"""Works in one use (`works`)."""

MAX_ARTISTS: Final = 1_000
"""Artists in one use (`artists`), and artists in its `attribution`."""

MAX_CONTEXTS: Final = 32
"""Exception categories claimed by one use (`context`)."""

MAX_FACTS: Final = 100
"""Facts in one use (`facts`)."""

# ------------------------------------------------------------------ clause files

#: Characters in one clause file. Generous: a generated file of 100,000 contracts fits.
MAX_FILE_CHARS: Final = 64 * 1024 * 1024
#: Characters in one quoted string (a title, a citation, a law's text), quotes excluded.
MAX_STRING_LENGTH: Final = 10_000
#: Digits in one number (a number, an amount, a percentage, a duration, a tier bound):
#: more than decimal arithmetic keeps (28 significant digits) would be silently rounded.
MAX_LITERAL_DIGITS: Final = 28
#: How deeply expressions may nest (`not not …`, `(a, (b, (c, …)))`, `a + b + c + …` each
#: count one level per operator): the checker, compiler, formatter and renderer walk
#: expressions recursively, and this keeps them far from Python's stack limit.
MAX_EXPRESSION_DEPTH: Final = 64
#: Blocks (contracts, jurisdictions, vocabularies) in one file.
MAX_BLOCKS_PER_FILE: Final = 200_000
#: Items (headers, parameters, definitions, clauses or rules …) in one block.
MAX_ITEMS_PER_BLOCK: Final = 100_000

# ------------------------------------------------------------------ YAML files

#: Characters in one YAML file (data, scenarios, clause tests, templates, consent imports).
MAX_YAML_CHARS: Final = 64 * 1024 * 1024
#: Nodes of a YAML document once every alias is expanded: what a reader of the loaded
#: value may walk. Stops "billion laughs" documents, where a few aliases of aliases stand
#: for billions of values.
MAX_YAML_NODES: Final = 2_000_000
#: Alias uses (`*name`) in one YAML document.
MAX_YAML_ALIASES: Final = 10_000
#: How deeply YAML collections may nest.
MAX_YAML_DEPTH: Final = 100


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


# ------------------------------------------------------------------ the service

HEAD_SECONDS: Final = 10.0
"""Seconds a connection has to send a whole request line and headers (`--head-seconds`)."""

HEAD_SECONDS_ENV: Final = "CLAUSULA_HEAD_SECONDS"
"""Where `clausula serve` puts `--head-seconds` for its serving processes."""
