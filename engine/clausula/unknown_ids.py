"""Ids in a use that the policy set does not know: said in the decision, never guessed at.

A well-formed id that no contract or data file names keeps its meaning — a licensee
without a contract is denied, an artist nobody registered still needs consent, a work
outside the catalogue is outside every scope — but the decision says the id is unknown
(effect `unknown-id`, `rule` the JSON Pointer of the field) and names the nearest known
id of the same scheme when one is close, since a typo is the likeliest cause
(`party:aria-lab` → `party:aria-labs`).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from typing import Any, Final

from .kinds import ReasonEffect
from .models import Use

UNKNOWN_ID: Final[ReasonEffect] = "unknown-id"

MAX_CANDIDATES = 20_000
"""Known ids of one scheme above which no nearest id is looked for (it costs time in
proportion to their number, on every use naming an unknown id)."""


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def nearest(value: str, known: Iterable[str]) -> str | None:
    """The known id of the same scheme closest to `value`, if it is close (a typo away)."""
    scheme = value.partition(":")[0] + ":"
    candidates = sorted({k for k in known if k.startswith(scheme)})
    if not candidates or len(candidates) > MAX_CANDIDATES:
        return None
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.85)
    return close[0] if close else None


def unknown_id_reasons(
    use: Use,
    licensees: Collection[str],
    parties: Collection[str],
    works: Collection[str],
    source: Any,
) -> list[dict[str, Any]]:
    """A reason (in the shape of `models.Reason`) for each id of `use` that is unknown:
    a licensee of no contract and no party of the data; an artist or attribution key
    that is no party of the data; a work that is not in the catalogue."""
    reasons: list[dict[str, Any]] = []

    def unknown(pointer: str, value: str, what: str, known: Iterable[str]) -> None:
        close = nearest(value, known)
        hint = f"; did you mean {close}?" if close else ""
        reasons.append(
            {
                "effect": UNKNOWN_ID,
                "rule": pointer,
                "message": f"{value} is {what}{hint}",
                "citation": None,
                "source": source,
            }
        )

    if use.licensee not in licensees and use.licensee not in parties:
        unknown(
            "/licensee",
            use.licensee,
            "not the licensee of any contract nor a party in the data",
            [*licensees, *parties],
        )
    for index, work in enumerate(use.works):
        if work not in works:
            unknown(f"/works/{index}", work, "not in the catalogue", works)
    for index, artist in enumerate(use.artists):
        if artist not in parties:
            unknown(f"/artists/{index}", artist, "not a party in the data", parties)
    for artist in use.attribution:
        if artist not in parties:
            unknown(
                f"/attribution/{_pointer_part(artist)}", artist, "not a party in the data", parties
            )
    return reasons
