"""Ids in a use that the policy set does not know: said in the decision, never guessed at.

A well-formed id that no contract or data file names keeps its meaning — a licensee
without a contract is denied, an artist nobody registered still needs consent, a work
outside the catalogue is outside every scope — but the decision says the id is unknown
(effect `unknown-id`, `rule` the JSON Pointer of the field) and names the nearest known
id of the same scheme when one is close, since a typo is the likeliest cause
(`party:aria-lab` → `party:aria-labs`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from .context import Context
from .identifiers import isni_is_valid
from .json_input import pointer_part
from .kinds import ReasonEffect
from .models import Reason
from .plans import reason

UNKNOWN_ID: Final[ReasonEffect] = "unknown-id"

# The characters an id's body may hold, per scheme (`clausula.identifiers`): the letters a
# typo can bring in.
_DIGITS: Final = "0123456789"
_ALPHABETS: Final = {
    "isni": _DIGITS + "X",
    "ipi": _DIGITS,
    "dpid": _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "isrc": _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "iswc": _DIGITS + "T",
    "party": _DIGITS + "abcdefghijklmnopqrstuvwxyz-",
}
MAX_BODY_CHARS: Final = 64
"""Longest id body for which a nearest id is looked for (the cost grows with its length)."""


def _one_typo_away(prefix: str, body: str, alphabet: str) -> list[str]:
    """Every id (`prefix` + a body) one typo from `body`: a character dropped, added,
    changed, or two neighbours swapped."""
    found: list[str] = []
    add = found.append
    for i in range(len(body) + 1):
        head, tail = prefix + body[:i], body[i:]
        # Built with comprehensions, not generators, and each id as one f-string (one
        # string made, where `head + c + tail` makes two): this runs for every unknown id.
        found += [f"{head}{c}{tail}" for c in alphabet]
        if tail:
            first, rest = tail[0], tail[1:]
            add(head + rest)
            if rest:
                add(f"{head}{rest[0]}{first}{rest[1:]}")
            found += [f"{head}{c}{rest}" for c in alphabet if c != first]
    return found


def nearest(value: str, *known: Collection[str]) -> str | None:
    """The known id (in any of `known`, each with fast membership: a set or a mapping) one
    typo from `value` — a character dropped, added, changed or two swapped — or None.
    The known ids are valid ids of their schemes (as the data files' and contracts' are).

    The neighbours of `value` are looked up, not the known ids scanned: the cost does not
    grow with the size of the catalogue (about 0.1 ms for an ISNI). None of a valid
    ISNI's neighbours is a valid ISNI — its length is fixed, and ISO 7064 Mod 11-2 catches
    every changed character and every swap of two neighbours
    (tests/test_use_input.py checks it) — so a valid ISNI, as every ISNI of a use is,
    is one typo from no known ISNI, and nothing is looked up."""
    scheme, _, body = value.partition(":")
    alphabet = _ALPHABETS.get(scheme)
    if alphabet is None or len(body) > MAX_BODY_CHARS:
        return None
    if scheme == "isni" and isni_is_valid(body):
        return None
    neighbours = _one_typo_away(scheme + ":", body, alphabet)
    # Membership only: `set.intersection` with a mapping's keys would walk all of them.
    matches = [found for ids in known for found in neighbours if found in ids]
    return min(matches) if matches else None


MAX_REMEMBERED = 4096
"""How many answers of `nearest` a memo given to `unknown_id_reasons` keeps."""


def unknown_id_reasons(
    ctx: Context,
    licensees: Collection[str],
    parties: Collection[str],
    works: Collection[str],
    source: Any,
    memo: dict[tuple[str, str], str | None] | None = None,
) -> list[Reason]:
    """A reason for each id of the use read through `ctx` that is unknown:
    a licensee of no contract and no party of the data; an artist or attribution key
    that is no party of the data; a work that is not in the catalogue.

    `memo`: the nearest known party or work of an unknown artist, attribution key or work,
    kept (up to `MAX_REMEMBERED`) for the next use naming it — only when `parties` and
    `works` never change (the records' own, which are frozen)."""
    licensee = ctx.licensee
    if not ctx.works and not ctx.attribution and (licensee in licensees or licensee in parties):
        for artist in ctx.artists:
            if artist not in parties:
                break
        else:
            return []  # the common case, every id known: no closure to make
    reasons: list[Reason] = []

    def unknown(
        pointer: str, value: str, what: str, *known: Collection[str], remember: bool = True
    ) -> None:
        if memo is None or not remember:
            close = nearest(value, *known)
        else:
            key = (what, value)  # `what` tells the parties' ids from the works'
            if key in memo:
                close = memo[key]
            else:
                close = nearest(value, *known)
                if len(memo) < MAX_REMEMBERED:
                    memo[key] = close
        hint = f"; did you mean {close}?" if close else ""
        reasons.append(reason(UNKNOWN_ID, pointer, f"{value} is {what}{hint}", source))

    if licensee not in licensees and licensee not in parties:
        unknown(
            "/licensee",
            licensee,
            "not the licensee of any contract nor a party in the data",
            licensees,
            parties,
            remember=False,  # the licensees are the policy's, not the records'
        )
    # In the order the use gives them (the context keeps it): the pointers index them.
    for index, work in enumerate(ctx.works):
        if work not in works:
            unknown(f"/works/{index}", work, "not in the catalogue", works)
    for index, artist in enumerate(ctx.artists):
        if artist not in parties:
            unknown(f"/artists/{index}", artist, "not a party in the data", parties)
    for artist in ctx.attribution:
        if artist not in parties:
            unknown(
                f"/attribution{pointer_part(artist)}", artist, "not a party in the data", parties
            )
    return reasons
