"""The prefilter: which provisions and packs can hold for a use's purpose and territory,
known before any clause is evaluated."""

from __future__ import annotations

from collections.abc import Callable, Sequence

# What a use's purpose and territory alone tell about a condition: True (it holds
# whatever else the use says), False (it does not hold, or is unknown, which a condition
# counts as false) or None (the rest of the use decides).
Guard = Callable[[str, str], bool | None]


class Candidates:
    """Which of a block's provisions (or a policy's packs) can hold for a use's purpose
    and territory, each with whether that is already certain.

    Most clauses and packs test `use.purpose` or `use.territory` against constants, so
    for a (purpose, territory) pair most of them are known not to apply, and many known to
    apply, before anything is evaluated. The answer is a pure function of the pair,
    computed on first use and remembered (a few thousand pairs at most: the vocabulary's
    purposes times the territories seen); sharing it between threads is safe, as any two
    computations agree.
    """

    __slots__ = ("_guards", "_memo")

    _LIMIT = 20_000  # pairs remembered; past that, computed each time

    def __init__(self, guards: Sequence[Guard | None]) -> None:
        self._guards = tuple(guards)
        self._memo: dict[tuple[str, str], tuple[tuple[int, bool], ...]] = {}

    def __call__(self, purpose: str, territory: str) -> tuple[tuple[int, bool], ...]:
        """(index, settled) of those that can hold; settled: they certainly do."""
        key = (purpose, territory)
        found = self._memo.get(key)
        if found is None:
            selected = []
            for index, guard in enumerate(self._guards):
                known = guard(purpose, territory) if guard is not None else None
                if known is not False:
                    selected.append((index, known is True))
            found = tuple(selected)
            if len(self._memo) < self._LIMIT:
                self._memo[key] = found
        return found


def combine_guards(parts: Sequence[Guard | None], decisive: bool) -> Guard | None:
    """The guard of `a and b and …` (`decisive` False: false if one is false, true if all
    are true) or of `a or b or …` (`decisive` True: true if one is, false if all are not)."""
    guards = [g for g in parts if g is not None]
    if not guards:
        return None
    if len(guards) == len(parts) == 1:
        return guards[0]
    certain = len(guards) == len(parts)  # an operand with no guard is never known

    def combined(purpose: str, territory: str) -> bool | None:
        result: bool | None = (not decisive) if certain else None
        for guard in guards:
            known = guard(purpose, territory)
            if known is decisive:
                return decisive
            if known is None:
                result = None
        return result

    return combined
