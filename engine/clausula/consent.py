"""The consent ledger: each artist's grants, and whether each was revoked.

The engine decides against the `ConsentLedger` protocol only, so that a database-backed
ledger can replace `FileConsentLedger` (built from the data files) without touching it.
Territory matching and formality checking are the engine's job; the ledger records facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

# The records and the file ledger are compiled with the decision path (hatch_build.py);
# the protocols stay here, where the build leaves them (a runtime-checkable protocol is
# not a class the compiler makes).
from .consent_records import ConsentRecord, FileConsentLedger

__all__ = ["ConsentLedger", "ConsentRecord", "DatedConsentLedger", "FileConsentLedger"]


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
