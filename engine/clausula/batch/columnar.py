"""Class keys of uses computed as arrays, for `decide_table`'s common rows.

The batch core places a use in its class (`clausula.batch`, "Classes") from its frame, the
layout of its works and artists, and each work's and artist's *signature*. For a use of one
work and no other artists or attribution — a manifest's usual row — the layout is the
work's performers, so the class is a function of: the frame (licensee, purpose, territory,
the date's period between two boundaries, the other fields), how many performers the work
has, the work's signature and each performer's (and a named artist's, in `use.artists`;
a row of no work has only that one). This module computes that key for a whole column of
rows with NumPy:

1. Once per data set (`CatalogueArrays`, memoised per catalogue object): every work and
   artist of the data is given a *group*: works (artists) in the same group agree in
   everything their signatures can read in any frame — the scopes of every contract, the
   fields the clauses read, the rights holder; for artists their dates and every ledger
   record with all it says but the ids. Ids the clause text names are groups of their own.
2. Per frame, each group's signature is asked of the batch core (`_work_signature`,
   `_artist_signature` on the group's first member), so the signatures are the core's;
   a row's are then gathered by array indexing. An artist's signature also reads where
   the row's date falls among the artist's days (`BatchEvaluator._artist_days`: the same
   for every member of a group), placed for all rows at once with one `searchsorted`
   over every group's days laid end to end; the core is asked once per (frame, group,
   place).
3. The class key of a row combines, in NumPy, the core's frame number, the number of
   performers, the work's signature and the performers'. Rows with equal keys are in the
   same class of the core; what a class decides comes from the core (`evaluate`), never
   from here.

Nothing here decides: a key that is finer than the core's class only costs one more plan.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .classes import _MEMO_LIMIT, _NAMED, _PERFORMER, _record_facts
from .evaluator import BatchEvaluator, party_facts
from .key_groups import grouped, numbered

#: A work with more performers than this takes the row-by-row path.
MAX_SLOTS = 8
#: Artists no work of the data names placed by one decider; rows naming others take the
#: row-by-row path.
MAX_EXTRA_ARTISTS = 1 << 16
_NONE = -1
_NO_WORK = -2  # the work part of a row of no work (a signature is never negative)
# Days as numbers from _FIRST_DAY (0001-01-01), each artist group's in a span of its own.
_DAY_ZERO = dt.date(1, 1, 1)
_FIRST_DAY = (_DAY_ZERO - dt.date(1970, 1, 1)).days
_DAY_SPAN = 1 << 22  # more than the days from 0001-01-01 to 9999-12-31
_ROLES = (_PERFORMER, _NAMED, _PERFORMER | _NAMED)  # an artist's roles in rows placed here


class CatalogueArrays:
    """The works and artists of one data set as arrays, with their groups (see above)."""

    def __init__(self, evaluator: BatchEvaluator) -> None:
        catalogue = evaluator._catalogue
        abstraction = evaluator.analysis.abstraction
        assert abstraction is not None
        compiled = evaluator.policy_set.compiled
        contracts = [c for group in compiled.contracts_by_licensee.values() for c in group]
        literals = abstraction.literals
        works_map: Mapping[str, Any] = catalogue.works
        work_ids = list(works_map)
        n = len(work_ids)
        # Column by column (a Python pass per column, no tuple per work), then grouped in
        # NumPy: what the loop `key = (scopes, fields, rights holder)` per work said.
        table: Any = getattr(works_map, "_table", None)  # a cached data set's columns
        columns = set(table.column_names) if table is not None else set()
        records: list[Any] | None = None

        def values(field: str) -> list[Any]:
            nonlocal records
            if field in columns and field != "performers":
                return list(table.column(field).to_pylist())
            if records is None:
                records = list(works_map.values())
            return [getattr(r, field) for r in records]

        parts = [_factorise([w if w in literals else None for w in work_ids])]
        parts += [
            np.fromiter(map(s.__contains__, work_ids), dtype=bool, count=n).astype(np.int64)
            for s in _distinct_scopes(c.scope_works for c in contracts)
        ]
        parts += [_factorise(values(f)) for f in abstraction.work_fields]
        holders = values("rights_holder")
        licensors = [c.licensor for c in contracts]
        by_holder = {h: tuple(h == licensor for licensor in licensors) for h in set(holders)}
        parts.append(_factorise([by_holder[h] for h in holders]))
        work_group, first = _groups(parts, n)
        self.work_group = work_group
        self.work_rep = [work_ids[i] for i in first.tolist()]
        # The performers of each work, as indexes of the artists (numbered in the order
        # first met), in slots.
        performers = _performers(catalogue, works_map, work_ids, table)
        count = np.fromiter(map(len, performers), dtype=np.int64, count=n)
        within = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(count) - count, count
        )
        owner = np.repeat(np.arange(n, dtype=np.int64), count)
        keep = within < MAX_SLOTS
        flat = pa.array(list(itertools.chain.from_iterable(performers)), pa.string())
        flat = flat.filter(pa.array(keep))
        encoded = flat.dictionary_encode()
        slots = np.full((n, MAX_SLOTS), _NONE, dtype=np.int64)
        slots[owner[keep], within[keep]] = encoded.indices.to_numpy(zero_copy_only=False)
        artist_ids: list[str] = encoded.dictionary.to_pylist()
        # Artists: each one's key (the ledger and party facts; scopes as columns).
        m = len(artist_ids)
        self._literals = literals
        self._artist_scopes = _distinct_scopes(c.scope_artists for c in contracts)
        parts = [_factorise([a if a in literals else None for a in artist_ids])]
        parts += [
            np.fromiter(map(s.__contains__, artist_ids), dtype=bool, count=m).astype(np.int64)
            for s in self._artist_scopes
        ]
        ledger_keys = [
            None if a in literals else self._artist_key(evaluator, a) for a in artist_ids
        ]
        parts.append(_factorise(ledger_keys))
        artist_group, first = _groups(parts, m)
        self.work_ids = pa.array(work_ids, pa.string())
        self.slots = slots
        self.count = count  # performers per work (> MAX_SLOTS: not placed here)
        self.artist_ids = pa.array(artist_ids, pa.string())
        self.artist_group = artist_group
        self.artist_rep = [artist_ids[i] for i in first.tolist()]
        self.work_index = StringIndex(self.work_ids)
        # Each group's whole key, to place an artist no work names (`group_key`) in it.
        self.group_of_key = {
            self._whole_key(artist_ids[i], ledger_keys[i]): g for g, i in enumerate(first.tolist())
        }

    def _whole_key(self, artist: str, ledger_key: Any) -> Any:
        """What groups an artist: its id if the clauses name it, which scopes hold it, its
        key (`_artist_key`)."""
        literal = artist if artist in self._literals else None
        return (literal, tuple(artist in s for s in self._artist_scopes), ledger_key)

    def group_key(self, evaluator: BatchEvaluator, artist: str) -> Any:
        """The key that places an artist no work of the data names in an artist group (a
        group's key in `group_of_key`, or a new group's)."""
        literal = artist in self._literals
        return self._whole_key(artist, None if literal else self._artist_key(evaluator, artist))

    @staticmethod
    def _artist_key(evaluator: BatchEvaluator, artist: str) -> Any:
        """Everything an artist's signature can read in any frame, ids aside."""
        abstraction = evaluator.analysis.abstraction
        assert abstraction is not None
        catalogue, records = evaluator._catalogue, evaluator._records
        party = catalogue.party(artist)
        fields: Any = None
        if party is not None:
            fields = (*party_facts(party, abstraction), party.birth_date, party.death_date)
        kept = []
        for record in records.ledger.records_for(artist):
            grant = record.grant
            extra = _record_facts(record)
            kept.append(
                (
                    evaluator._grant_rest(artist, grant),
                    grant.grantee,
                    tuple(grant.purposes),
                    records.territories(grant),
                    extra,
                )
            )
        return ("artist", party is not None, fields, tuple(kept))


def _factorise(values: list[Any]) -> np.ndarray[Any, Any]:
    """A code per value, equal for equal values (numbered in the order first met)."""
    first_met = dict.fromkeys(values)  # (built in C: no Python step per value)
    code = dict(zip(first_met, range(len(first_met)), strict=True))
    return np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values))


def _distinct_scopes(scopes: Any) -> list[Any]:
    """The scopes that are sets (None: every id), each once."""
    seen: dict[int, Any] = {}
    for scope in scopes:
        if scope is not None:
            seen.setdefault(id(scope), scope)
    return list(seen.values())


def _groups(
    parts: list[np.ndarray[Any, Any]], n: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The group of each of `n` items with equal codes in every part, groups numbered in
    the order of their first member, and each group's first member."""
    key = np.zeros(n, dtype=np.int64)
    bound = 1
    for part in parts:
        size = int(part.max(initial=0)) + 1
        if bound * size >= 1 << 62:  # renumbered before the product could pass int64
            distinct, key = numbered(key)
            key = np.asarray(key, dtype=np.int64).reshape(-1)
            bound = len(distinct)
        key = key * size + part
        bound *= size
    _, first, inverse = grouped(key)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(first), dtype=np.int64)
    rank[order] = np.arange(len(first), dtype=np.int64)
    return rank[np.asarray(inverse).reshape(-1)], first[order]


def _performers(
    catalogue: Any, works_map: Any, work_ids: list[str], table: Any
) -> list[tuple[str, ...]]:
    """Each work's artists, in the order listed, each once (`DataSet.performers_of_each`),
    read from the cached columns when the works are a cached data set's."""
    if table is None or "performers" not in table.column_names:
        return list(catalogue.performers_of_each(work_ids))
    column = table.column("performers").combine_chunks()
    artists = pc.struct_field(pc.list_flatten(column), "artist").to_pylist()
    offsets = pc.list_value_length(column).fill_null(0).to_numpy(zero_copy_only=False)
    ends = np.cumsum(offsets).tolist()
    found: list[tuple[str, ...]] = []
    begin = 0
    for end in ends:
        found.append(tuple(dict.fromkeys(artists[begin:end])))
        begin = end
    return found


class StringIndex:
    """Positions of strings in a fixed list of distinct strings, looked up for a whole
    array at once (a hash join in NumPy: a 64-bit hash of each string's bytes, looked up in
    an open-addressing table of twice as many slots as strings — a probe or two per string,
    each a step for the whole array — then the bytes compared, so a collision never gives
    a wrong position — only -1, "not found")."""

    def __init__(self, strings: pa.Array) -> None:
        self._hash, self._start, self._size, self._data = _string_hashes(strings)
        n = len(self._hash)
        bits = max(4, (2 * n).bit_length())
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        table = np.full(1 << bits, -1, dtype=np.int32 if n < 1 << 31 else np.int64)
        # Every string but the empty one (never an id), placed in rounds: each takes the
        # first free slot from its hash's; where several aim at one, the one written last
        # holds it, and the others go on.
        pending = np.flatnonzero(self._size > 0)
        slot = self._slots(self._hash[pending])
        while len(pending):
            free = table[slot] < 0
            table[slot[free]] = pending[free]
            lost = table[slot] != pending
            pending, slot = pending[lost], (slot[lost] + 1) & self._mask
        self._table = table
        # Short ids also as columns of 8 of their bytes each (zero-padded), to compare a
        # whole column of one width at once, a word at a time.
        width = int(self._size.max(initial=0))
        self._words: list[np.ndarray[Any, Any]] = []
        if 0 < width <= 32:
            matrix = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
            if _one_width(self._size):  # ISRCs: the bytes are the matrix
                begin = int(self._start[0])
                matrix[:, :width] = self._data[begin : begin + width * n].reshape(n, width)
            else:
                within = np.arange(int(self._size.sum())) - np.repeat(
                    np.cumsum(self._size) - self._size, self._size
                )
                matrix[np.repeat(np.arange(n), self._size), within] = self._data[
                    np.repeat(self._start, self._size) + within
                ]
            words = matrix.view(np.uint64)
            self._words = [np.ascontiguousarray(words[:, k]) for k in range(words.shape[1])]

    def _slots(self, hashes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The first slot of each hash: its top bits once multiplied (Fibonacci hashing),
        since the low bits of a hash of ids that differ in one place are alike."""
        with np.errstate(over="ignore"):
            mixed = hashes * np.uint64(0x9E3779B97F4A7C15)
        return (mixed >> self._shift).astype(np.int64)

    def positions(self, strings: pa.Array) -> np.ndarray[Any, Any]:
        """Each string's position in the list, -1 when it is not there (or null, or empty:
        an empty string is never an id)."""
        n = len(strings)
        found = np.full(n, -1, dtype=np.int64)
        if not n or not len(self._hash):
            return found
        hashes, start, size, data = _string_hashes(strings)
        table, stored, mask = self._table, self._hash, self._mask
        todo = np.flatnonzero(size > 0)
        slot = self._slots(hashes[todo])
        while len(todo):  # one step of every string's probe at a time
            at = table[slot].astype(np.int64)
            empty = at < 0
            same = ~empty & (stored[np.maximum(at, 0)] == hashes[todo])
            found[todo[same]] = at[same]
            more = ~(empty | same)
            todo, slot = todo[more], (slot[more] + 1) & mask
        rows = np.flatnonzero(found >= 0)
        hit = np.zeros(n, dtype=bool)
        hit[rows] = self._size[found[rows]] == size[rows]
        rows = np.flatnonzero(hit)
        width = _one_width(size)
        words = self._words
        if len(rows) and 0 < width <= 8 * len(words):  # compared 8 bytes at a time
            block = data[int(start[0]) : int(start[0]) + width * n].reshape(n, width)
            mine = np.zeros((len(rows), 8 * len(words)), dtype=np.uint8)
            mine[:, :width] = block if len(rows) == n else block[rows]
            mine_words = mine.view(np.uint64).T.copy()  # a row per word: each contiguous
            theirs = found[rows]
            same = words[0][theirs] == mine_words[0]
            for k in range(1, len(words)):
                same &= words[k][theirs] == mine_words[k]
            hit[rows] = same
        elif len(rows):  # the bytes themselves, compared
            sizes = size[rows]
            within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            mine = data[np.repeat(start[rows], sizes) + within]
            theirs = self._data[np.repeat(self._start[found[rows]], sizes) + within]
            same = np.logical_and.reduceat(mine == theirs, np.cumsum(sizes) - sizes)
            hit[rows] = same
        return np.where(hit, found, -1)


_MIX = np.random.default_rng(0x15C0).integers(1, 1 << 62, size=64, dtype=np.int64).astype(
    np.uint64
) * np.uint64(2) + np.uint64(1)


def _one_width(size: np.ndarray[Any, Any]) -> int:
    """The width of the strings when every one has that width (not zero: no null, which
    `_string_hashes` gives a size of 0), so that their bytes, laid one after another from
    `start[0]` as Arrow lays them, are a matrix (ids of one scheme); else 0."""
    n = len(size)
    if not n:
        return 0
    width = int(size.max())
    return width if width and int(size.sum()) == width * n else 0


def _string_hashes(
    strings: pa.Array,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A hash per string (0 for null or empty), where its bytes start in the data, their
    number, and the data."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if not pa.types.is_large_string(strings.type):
        strings = strings.cast(pa.large_string())
    n = len(strings)
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64, count=n + 1, offset=8 * strings.offset)
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, dtype=np.uint8)
    )
    start = offsets[:-1].astype(np.int64)
    size = np.diff(offsets).astype(np.int64)
    if strings.null_count:
        size = np.where(strings.is_null().to_numpy(zero_copy_only=False), 0, size)
    total = int(size.sum())
    hashes = np.zeros(n, dtype=np.uint64)
    width = _one_width(size)
    if width:  # ids of one scheme: a column per byte
        table = data[int(start[0]) : int(start[0]) + total].reshape(n, width)
        with np.errstate(over="ignore"):
            for k in range(width):
                column = table[:, k].astype(np.uint64) * _MIX[k % len(_MIX)]
                hashes += column + np.uint64(k // len(_MIX))
            return hashes ^ (np.uint64(width) << np.uint64(48)), start, size, data
    if total:
        used = np.flatnonzero(size > 0)
        sizes = size[used]
        begins = np.cumsum(sizes) - sizes
        within = np.arange(total) - np.repeat(begins, sizes)
        values = data[np.repeat(start[used], sizes) + within].astype(np.uint64)
        with np.errstate(over="ignore"):
            mixed = values * _MIX[within % len(_MIX)] + np.uint64(within // len(_MIX))
            hashes[used] = np.add.reduceat(mixed, begins) ^ (sizes.astype(np.uint64) << 48)
    return hashes, start, size, data


# One per catalogue object: what a data set costs once (the catalogue is never changed
# in place; a reloaded data set is a new object).
_ARRAYS: dict[int, tuple[weakref.ref[Any] | None, Any, CatalogueArrays]] = {}
_ARRAYS_LOCK = threading.Lock()


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
    with _ARRAYS_LOCK:  # threads deciding side by side build a data set's arrays once
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
    """The core's signatures of the data set's groups, per frame, as lookup tables (an
    artist's per role too: performer, named in `use.artists`, or both), each filled the
    first time a row needs it."""

    def __init__(self, evaluator: BatchEvaluator, arrays: CatalogueArrays) -> None:
        self.evaluator = evaluator
        self.arrays = arrays
        self._signings: dict[int, int] = {}  # the core's signing number → row of the tables
        self._frames: list[Any] = []  # a core frame of each row of the tables
        self._signing_of: list[Any] = []  # the core's signing of each row of the tables
        self._work_sigs: list[np.ndarray[Any, Any]] = []
        # The data set's artists, then those rows named that no work names (this decider's
        # own: the data set's arrays are shared and never changed).
        self.artist_ids: pa.Array = arrays.artist_ids
        self.artist_group = arrays.artist_group
        self.artist_rep = list(arrays.artist_rep)
        self._index = StringIndex(arrays.artist_ids) if len(arrays.artist_ids) else None
        self._extra: dict[str, int] = {}
        self._group_of_key = dict(arrays.group_of_key)
        # (roles, row of the tables, artist group, where the day falls among the group's
        # days) → the core's signature.
        self._artist_sigs: dict[tuple[int, int, int, int], int] = {}
        # Each artist group's days (`BatchEvaluator._artist_days`, as days past _FIRST_DAY)
        # in one sorted array, group after group: `_day_places` places a row's date.
        self._days_known = 0  # groups whose days are in `_flat_days`
        self._day_lists: list[np.ndarray[Any, Any]] = []
        self._flat_days = np.zeros(0, dtype=np.int64)
        self._day_starts = np.zeros(1, dtype=np.int64)
        self._exact = np.zeros(0, dtype=bool)  # groups whose dates cannot be ordered

    def signing(self, frame: Any, signing: Any) -> int:
        """The row of the tables for this core signing (with a core frame of the same
        licensee: works filled for every group at once; groups are few)."""
        index = self._signings.get(signing.number)
        if index is None:
            ev, arrays = self.evaluator, self.arrays
            works = np.array(
                [ev._work_signature(w, frame) for w in arrays.work_rep], dtype=np.int64
            )
            index = self._signings[signing.number] = len(self._work_sigs)
            self._work_sigs.append(works)
            self._frames.append(frame)
            self._signing_of.append(signing)
        return index

    def artists(self, text: pa.Array) -> np.ndarray[Any, Any]:
        """Each artist id's index in `artist_ids` (-1: not placed here), those no work of the
        data names placed in their artist group (or a group of their own) as they come —
        up to `MAX_EXTRA_ARTISTS` of them, which bounds the memory of a long stream. The
        ids must be valid party ids."""
        found = (
            self._index.positions(text)
            if self._index is not None
            else np.full(len(text), _NONE, dtype=np.int64)
        )
        missing = np.flatnonzero(found < 0)
        if not len(missing):
            return found
        base = len(self.arrays.artist_ids)
        extra, added, groups = self._extra, [], []
        for artist in pc.unique(text.take(pa.array(missing))).to_pylist():
            if artist is None or artist in extra or len(extra) >= MAX_EXTRA_ARTISTS:
                continue
            key = self.arrays.group_key(self.evaluator, artist)
            group = self._group_of_key.get(key)
            if group is None:
                group = self._group_of_key[key] = len(self.artist_rep)
                self.artist_rep.append(artist)
            extra[artist] = base + len(extra)
            added.append(artist)
            groups.append(group)
        if added:
            self.artist_ids = pa.concat_arrays([self.artist_ids, pa.array(added, pa.string())])
            self.artist_group = np.concatenate(
                [self.artist_group, np.array(groups, dtype=np.int64)]
            )
        values = text.take(pa.array(missing)).to_pylist()
        found[missing] = [extra.get(v, _NONE) if v is not None else _NONE for v in values]
        return found

    def _day_places(self, group: np.ndarray[Any, Any], day: np.ndarray[Any, Any]) -> Any:
        """Where each row's day falls among its artist group's days: twice the days before
        it, plus one when it is one of them (the core's `bisect_left`, `bisect_right`); the
        day itself for a group whose dates cannot be ordered."""
        groups = len(self.artist_rep)
        if self._days_known < groups:
            ev = self.evaluator
            exact = []
            for g in range(self._days_known, groups):
                found = ev._artist_days(self.artist_rep[g])
                days = () if found is None else found[0]
                self._day_lists.append(
                    np.array([(d - _DAY_ZERO).days for d in days], dtype=np.int64)
                )
                exact.append(found is None)
            self._exact = np.concatenate([self._exact, np.array(exact, dtype=bool)])
            self._days_known = groups
            lengths = np.array([len(d) for d in self._day_lists], dtype=np.int64)
            self._day_starts = np.concatenate([[0], np.cumsum(lengths)])
            owners = np.repeat(np.arange(groups, dtype=np.int64), lengths)
            self._flat_days = owners * _DAY_SPAN + (
                np.concatenate(self._day_lists) if groups else np.zeros(0, dtype=np.int64)
            )
        query = group * _DAY_SPAN + (day - _FIRST_DAY)
        start = self._day_starts[group]
        flat = self._flat_days
        at = np.searchsorted(flat, query, side="left")
        # A group's days are distinct (`_day_order`): the day is one of them, or none.
        on = flat[np.minimum(at, len(flat) - 1)] == query if len(flat) else np.zeros(len(at), bool)
        return np.where(self._exact[group], day - _FIRST_DAY, (at - start) * 2 + on)

    def _artist_signatures(
        self,
        roles: int,
        signing: np.ndarray[Any, Any],
        group: np.ndarray[Any, Any],
        day: np.ndarray[Any, Any],
    ) -> np.ndarray[Any, Any]:
        """The core's signature of each row's artist (of `group`) in `roles`, for a use of
        the table row `signing` on `day`: one per (signing, group, place of the day among
        the group's days), asked of the core the first time with one of those rows' days."""
        place = self._day_places(group, day)
        width = int(place.max(initial=0)) + 1
        code = (group * width + place) * (len(self._frames) + 1) + signing
        _, first, inverse = grouped(code)
        found: list[int] = []
        if len(self._artist_sigs) > _MEMO_LIMIT:  # memory stays bounded on a long stream
            self._artist_sigs.clear()
        memo, ev, reps = self._artist_sigs, self.evaluator, self.artist_rep
        # Each distinct row's parts as Python ints at once (not a NumPy scalar apiece).
        parts = zip(
            signing[first].tolist(), group[first].tolist(), place[first].tolist(), strict=True
        )
        for k, (s, g, p) in enumerate(parts):
            number = memo.get((roles, s, g, p))
            if number is None:
                date = _DAY_ZERO + dt.timedelta(days=int(day[first[k]]) - _FIRST_DAY)
                number = memo[(roles, s, g, p)] = ev._artist_signature(
                    reps[g], roles, self._frames[s], self._signing_of[s], date
                )
            found.append(number)
        return np.array(found, dtype=np.int64)[inverse.reshape(-1)]

    def keys(
        self,
        frame_number: np.ndarray[Any, Any],
        signing: np.ndarray[Any, Any],
        work: np.ndarray[Any, Any],
        day: np.ndarray[Any, Any],
        named: np.ndarray[Any, Any] | None = None,
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """One integer per row, equal for rows in the same class of the core; the parts it
        is made of (one row each: the core's frame number, the number of performers, the
        named artist's place in the layout — -1 for none — and its signature when it is not
        a performer, the core's signature of the work and of each performer in its roles,
        -1 past the last), which name the class from batch to batch; and each row's artists
        in the core's layout order (the work's performers, then the named artist if it is
        not one of them; indexes of `artist_ids`, -1 past the last). `work` indexes
        `arrays.work_ids` (-1: a row of no work, which names an artist); `named` indexes
        `artist_ids` (-1: no `use.artists`: see `artists`); `signing` is what `signing()`
        gave for the row's frame; `day` the row's date (days since 1970-01-01)."""
        arrays = self.arrays
        n = len(work)
        if named is None:
            named = np.full(n, _NONE, dtype=np.int64)
        if not n:
            empty = np.zeros(0, dtype=np.int64)
            return (
                empty,
                np.zeros((0, 5), dtype=np.int64),
                np.zeros((0, MAX_SLOTS + 1), dtype=np.int64),
            )
        has_work = work >= 0
        at = np.where(has_work, work, 0)
        if len(arrays.work_ids):
            count = np.where(has_work, arrays.count[at], 0)
            slots = np.take(arrays.slots, at, axis=0)  # `take`: a row gather, not fancy indexing
            if not has_work.all():
                slots[~has_work] = _NONE
            work_sig = np.where(
                has_work, np.stack(self._work_sigs)[signing, arrays.work_group[at]], _NO_WORK
            )
        else:  # a data set of no works: rows of no work only
            count = np.zeros(n, dtype=np.int64)
            slots = np.full((n, MAX_SLOTS), _NONE, dtype=np.int64)
            work_sig = np.full(n, _NO_WORK, dtype=np.int64)
        # The layout the core makes (`classes._layout`): performers first, then the named
        # artist — at its own place among them when it is one, else after them.
        is_named = named >= 0
        if is_named.any():
            among = (slots == named[:, None]) & is_named[:, None]
            place = np.where(among.any(axis=1), among.argmax(axis=1), count)
            place = np.where(is_named, place, _NONE)
        else:  # a manifest's rows name no artist of their own
            place = np.full(n, _NONE, dtype=np.int64)
        extra = is_named & (place == count)
        layout = np.concatenate([slots, np.full((n, 1), _NONE, dtype=np.int64)], axis=1)
        layout[np.flatnonzero(extra), count[extra]] = named[extra]
        groups = self.artist_group
        extra_sig = np.full(n, _NONE, dtype=np.int64)
        if extra.any():
            extra_sig[extra] = self._artist_signatures(
                _NAMED, signing[extra], groups[named[extra]], day[extra]
            )
        parts = [
            frame_number,
            count,
            place,
            extra_sig,
            work_sig,
        ]
        for j in range(int(count.max(initial=0))):
            artist = slots[:, j]
            sig = np.full(n, _NONE, dtype=np.int64)
            for roles, which in (
                (_PERFORMER, (artist >= 0) & (place != j)),
                (_PERFORMER | _NAMED, (artist >= 0) & (place == j)),
            ):
                if which.any():
                    sig[which] = self._artist_signatures(
                        roles, signing[which], groups[artist[which]], day[which]
                    )
            parts.append(sig)
        key = np.zeros(n, dtype=np.int64)
        bound = 1
        for part in parts:
            low = int(part.min())
            size = int(part.max()) - low + 1
            if bound * size >= 1 << 62:  # renumbered before the product could pass int64
                distinct, key = numbered(key)
                key = np.asarray(key, dtype=np.int64).reshape(-1)
                bound = len(distinct)
            key = key * size + (part - low)
            bound *= size
        return key, np.stack(parts, axis=1), layout

    @staticmethod
    def name(parts: np.ndarray[Any, Any]) -> tuple[int, ...]:
        """A class's name from batch to batch, from one row of `keys`' parts."""
        return tuple(parts[: 5 + int(parts[1])].tolist())


__all__ = [
    "MAX_EXTRA_ARTISTS",
    "MAX_SLOTS",
    "CatalogueArrays",
    "ClassKeys",
    "StringIndex",
    "catalogue_arrays",
]
