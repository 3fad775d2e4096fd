"""The records of a consent ledger (`ConsentRecord`) and the ledger over the data files
(`FileConsentLedger`).

A module of its own, apart from the ledger's protocols (`clausula.consent`), so that the
build compiles it with the decision path (hatch_build.py): every consent check reads a
record. It imports the catalogue's models at run time, which the compiled dataclass
needs; the catalogue, in turn, imports this module only when it builds a ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

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
