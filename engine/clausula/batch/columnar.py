"""Class keys of uses computed as arrays, for `decide_table`'s common rows.

The batch core places a use in its class (`clausula.batch`, "Classes") from its frame, the
layout of its works and artists, and each work's and artist's *signature*. For a use of one
work and no other artists or attribution — a manifest's usual row — the layout is the
work's performers, so the class is a function of: the frame (licensee, purpose, territory,
the date's period between two boundaries, the other fields), how many performers the work
has, the work's signature and each performer's. This module computes that key for a whole
column of rows with NumPy:

1. Once per data set (`CatalogueArrays`, memoised per catalogue object): every work and
   artist of the data is given a *group*: works (artists) in the same group agree in
   everything their signatures can read in any frame — the scopes of every contract, the
   fields the clauses read, the rights holder; for artists their dates and every ledger
   record with all it says but the ids. Ids the clause text names are groups of their own.
2. Per frame, each group's signature is asked of the batch core (`_work_signature`,
   `_artist_signature` on the group's first member), so the signatures are the core's;
   a row's are then gathered by array indexing.
3. The class key of a row combines, in NumPy, the core's frame number, the number of
   performers, the work's signature and the performers'. Rows with equal keys are in the
   same class of the core; what a class decides comes from the core (`evaluate`), never
   from here.

Nothing here decides: a key that is finer than the core's class only costs one more plan.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from .classes import _PERFORMER, _hashable
from .evaluator import BatchEvaluator

#: A work with more performers than this takes the row-by-row path.
MAX_SLOTS = 8
_NONE = -1


class CatalogueArrays:
    """The works and artists of one data set as arrays, with their groups (see above)."""

    def __init__(self, evaluator: BatchEvaluator) -> None:
        catalogue = evaluator._catalogue
        records = evaluator._records
        abstraction = evaluator.analysis.abstraction
        assert abstraction is not None
        compiled = evaluator.policy_set.compiled
        contracts = [c for group in compiled.contracts_by_licensee.values() for c in group]
        literals = abstraction.literals
        work_fields = abstraction.work_fields
        works_map: Mapping[str, Any] = catalogue.works
        work_ids = list(works_map)
        groups: dict[Any, int] = {}
        work_group = np.empty(len(work_ids), dtype=np.int64)
        work_rep: list[str] = []
        artist_index: dict[str, int] = {}
        slots = np.full((len(work_ids), MAX_SLOTS), _NONE, dtype=np.int64)
        count = np.zeros(len(work_ids), dtype=np.int64)
        scoped = [c.scope_works for c in contracts]
        licensors = [c.licensor for c in contracts]
        performers_of = catalogue.performers_of
        for i, work in enumerate(work_ids):
            record = works_map[work]
            if work in literals:
                key: Any = ("id", work)
            else:
                key = (
                    tuple(s is None or work in s for s in scoped),
                    tuple(getattr(record, f) for f in work_fields),
                    tuple(record.rights_holder == licensor for licensor in licensors),
                )
            number = groups.get(key)
            if number is None:
                number = groups[key] = len(work_rep)
                work_rep.append(work)
            work_group[i] = number
            performers = performers_of(work)
            count[i] = len(performers)
            for j, artist in enumerate(performers[:MAX_SLOTS]):
                place = artist_index.get(artist)
                if place is None:
                    place = artist_index[artist] = len(artist_index)
                slots[i, j] = place
        artist_ids = list(artist_index)
        artist_group = np.empty(len(artist_ids), dtype=np.int64)
        artist_rep: list[str] = []
        groups = {}
        for i, artist in enumerate(artist_ids):
            key = ("id", artist) if artist in literals else self._artist_key(evaluator, artist)
            number = groups.get(key)
            if number is None:
                number = groups[key] = len(artist_rep)
                artist_rep.append(artist)
            artist_group[i] = number
        self.work_ids = pa.array(work_ids, pa.string())
        self.work_group = work_group
        self.work_rep = work_rep
        self.slots = slots
        self.count = count  # performers per work (> MAX_SLOTS: not placed here)
        self.artist_ids = pa.array(artist_ids, pa.string())
        self.artist_group = artist_group
        self.artist_rep = artist_rep
        del records

    @staticmethod
    def _artist_key(evaluator: BatchEvaluator, artist: str) -> Any:
        """Everything an artist's signature can read in any frame, ids aside."""
        abstraction = evaluator.analysis.abstraction
        assert abstraction is not None
        catalogue, records = evaluator._catalogue, evaluator._records
        compiled = evaluator.policy_set.compiled
        party = catalogue.party(artist)
        scope = tuple(
            c.scope_artists is None or artist in c.scope_artists
            for group in compiled.contracts_by_licensee.values()
            for c in group
        )
        fields: Any = None
        if party is not None:
            residence = party.residence
            fields = (
                tuple(getattr(party, f) for f in abstraction.party_fields),
                None
                if residence is None
                else tuple(s.contains(residence) for s in abstraction.residence),
                party.birth_date,
                party.death_date,
            )
        kept = []
        for record in records.ledger.records_for(artist):
            grant = record.grant
            extra = tuple(
                (name, _hashable(getattr(record, name)))
                for name in getattr(record, "__dataclass_fields__", {})
                if name not in ("grant", "revocation_reason")
            )
            kept.append(
                (
                    evaluator._grant_rest(artist, grant),
                    grant.grantee,
                    tuple(grant.purposes),
                    records.territories(grant),
                    extra,
                )
            )
        return ("artist", party is not None, scope, fields, tuple(kept))


# One per catalogue object: what a data set costs once (the catalogue is never changed
# in place; a reloaded data set is a new object).
_ARRAYS: dict[int, tuple[weakref.ref[Any] | None, Any, CatalogueArrays]] = {}


def catalogue_arrays(evaluator: BatchEvaluator) -> CatalogueArrays | None:
    """The data set's arrays (built on first use, then kept while the catalogue lives);
    None when the core cannot group artists and works (the clauses read their ids, or the
    grants are not all the data files')."""
    if (
        evaluator.analysis.abstraction is None
        or evaluator._boundaries is None
        or not evaluator._ledger_is_the_data()
        or not isinstance(getattr(evaluator._catalogue, "works", None), Mapping)
    ):
        return None
    catalogue = evaluator._catalogue
    key = id(catalogue)
    known = _ARRAYS.get(key)
    if known is not None:
        ref, policy, arrays = known
        alive = ref() if ref is not None else policy
        if alive is catalogue and policy is evaluator.policy_set:
            return arrays
    arrays = CatalogueArrays(evaluator)
    try:
        ref = weakref.ref(catalogue)
    except TypeError:
        ref = None
    if len(_ARRAYS) > 4:
        _ARRAYS.clear()
    _ARRAYS[key] = (ref, evaluator.policy_set, arrays)
    return arrays


class ClassKeys:
    """The core's signatures of the data set's groups, per frame, as lookup tables."""

    def __init__(self, evaluator: BatchEvaluator, arrays: CatalogueArrays) -> None:
        self.evaluator = evaluator
        self.arrays = arrays
        self._signings: dict[int, int] = {}  # the core's signing number → row of the tables
        self._work_sigs: list[np.ndarray[Any, Any]] = []
        self._artist_sigs: list[np.ndarray[Any, Any]] = []

    def signing(self, frame: Any) -> int:
        """The row of the tables for this core frame (filled for every group at once:
        groups are few)."""
        index = self._signings.get(frame.signing)
        if index is None:
            ev, arrays = self.evaluator, self.arrays
            works = np.array(
                [ev._work_signature(w, frame) for w in arrays.work_rep], dtype=np.int64
            )
            artists = np.array(
                [ev._artist_signature(a, _PERFORMER, frame) for a in arrays.artist_rep],
                dtype=np.int64,
            )
            index = self._signings[frame.signing] = len(self._work_sigs)
            self._work_sigs.append(works)
            self._artist_sigs.append(artists)
        return index

    def keys(
        self,
        frame_number: np.ndarray[Any, Any],
        signing: np.ndarray[Any, Any],
        work: np.ndarray[Any, Any],
    ) -> np.ndarray[Any, Any]:
        """One integer per row, equal for rows in the same class of the core. `work` indexes
        `arrays.work_ids`; `signing` is what `signing()` gave for the row's frame."""
        arrays = self.arrays
        n = len(work)
        if not n:
            return np.zeros(0, dtype=np.int64)
        work_table = np.stack(self._work_sigs)
        artist_table = np.stack(self._artist_sigs)
        parts = [frame_number, arrays.count[work], work_table[signing, arrays.work_group[work]]]
        slots = arrays.slots[work]
        for j in range(int(arrays.count[work].max(initial=0))):
            artist = slots[:, j]
            present = artist >= 0
            sig = np.where(
                present, artist_table[signing, arrays.artist_group[np.maximum(artist, 0)]], -1
            )
            parts.append(sig)
        key = np.zeros(n, dtype=np.int64)
        bound = 1
        for part in parts:
            low = int(part.min())
            size = int(part.max()) - low + 1
            if bound * size >= 1 << 62:  # renumbered before the product could pass int64
                distinct, key = np.unique(key, return_inverse=True)
                key = np.asarray(key, dtype=np.int64).reshape(-1)
                bound = len(distinct)
            key = key * size + (part - low)
            bound *= size
        return key


__all__ = ["MAX_SLOTS", "CatalogueArrays", "ClassKeys", "catalogue_arrays"]
