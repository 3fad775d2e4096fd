"""The consent ledger: each artist's grants, and whether each was revoked.

The engine decides against the `ConsentLedger` protocol only, so that a database-backed
ledger can replace `FileConsentLedger` (built from the data files) without touching it.
Territory matching and formality checking are the engine's job; the ledger records facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # catalogue imports this module at run time; avoid the cycle
    from .catalogue import ConsentGrant, Revocation


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One grant as the ledger knows it today: the grant and its revocation, if any."""

    grant: ConsentGrant
    revoked_on: date | None = None
    revocation_reason: str | None = None

    @property
    def artist(self) -> str:
        """The artist whose consent this is (the grantor unless given on someone's behalf)."""
        return self.grant.artist

    def active_on(self, day: date) -> bool:
        """Whether the grant is in its term on `day` and not yet revoked.

        Both ends of the term are inclusive; a revocation takes effect from its own date.
        """
        grant = self.grant
        if day < grant.valid_from:
            return False
        if grant.valid_until is not None and day > grant.valid_until:
            return False
        return self.revoked_on is None or day < self.revoked_on


class ConsentLedger(Protocol):
    """What the engine asks of a ledger."""

    def records_for(self, artist: str) -> Sequence[ConsentRecord]:
        """All grants given by or on behalf of `artist`, ordered by (valid_from, grant id)."""
        ...


@runtime_checkable
class DatedConsentLedger(Protocol):
    """A ledger that can answer as of a day: each grant as it stood on that day, with a
    revocation only once in effect (amendments and revocations never rewrite the past).

    The engine asks `records_on(artist, use.date)` when the ledger offers it, and
    `ConsentLedger.records_for` otherwise.
    """

    def records_for(self, artist: str) -> Sequence[ConsentRecord]:
        """All grants given by or on behalf of `artist`, ordered by (valid_from, grant id)."""
        ...

    def records_on(self, artist: str, day: date) -> Sequence[ConsentRecord]:
        """The grants of `artist` as they stood on `day`, in the same order."""
        ...


class FileConsentLedger:
    """A ledger over the grants and revocations read from data files, indexed once by artist."""

    __slots__ = ("_by_artist", "_by_grant")

    def __init__(self, grants: Iterable[ConsentGrant], revocations: Iterable[Revocation]) -> None:
        # If a grant was revoked more than once, the earliest revocation is the one in effect.
        earliest: dict[str, Revocation] = {}
        for revocation in revocations:
            seen = earliest.get(revocation.grant)
            if seen is None or revocation.date < seen.date:
                earliest[revocation.grant] = revocation
        by_artist: dict[str, list[ConsentRecord]] = {}
        by_grant: dict[str, ConsentRecord] = {}
        for grant in grants:
            revoked = earliest.get(grant.id)
            record = ConsentRecord(
                grant=grant,
                revoked_on=revoked.date if revoked else None,
                revocation_reason=revoked.reason if revoked else None,
            )
            by_artist.setdefault(grant.artist, []).append(record)
            by_grant[grant.id] = record
        self._by_artist: Mapping[str, tuple[ConsentRecord, ...]] = MappingProxyType(
            {
                artist: tuple(records)
                if len(records) == 1
                else tuple(sorted(records, key=lambda r: (r.grant.valid_from, r.grant.id)))
                for artist, records in by_artist.items()
            }
        )
        self._by_grant: Mapping[str, ConsentRecord] = MappingProxyType(by_grant)

    def records_for(self, artist: str) -> tuple[ConsentRecord, ...]:
        """All grants given by or on behalf of `artist`, ordered by (valid_from, grant id)."""
        return self._by_artist.get(artist, ())

    def record(self, grant_id: str) -> ConsentRecord | None:
        """The record of one grant by its id, or None."""
        return self._by_grant.get(grant_id)

    def artists(self) -> frozenset[str]:
        """Every artist with at least one recorded grant."""
        return frozenset(self._by_artist)
