"""The distinct values of a column of integer keys, found by hashing.

The array paths group a batch's rows by integer keys many times (frames, classes, metrics,
answers). `np.unique` sorts the whole column to do it; Arrow's dictionary encoding hashes
it instead, and only the distinct values are then sorted. The answer is `np.unique`'s,
exactly: the sorted distinct values, the first row of each, and each row's place among
them — so what the callers number, and in which order they ask the core, is unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Array = np.ndarray[Any, Any]


def grouped(key: Array) -> tuple[Array, Array, Array]:
    """`np.unique(key, return_index=True, return_inverse=True)` of a one-dimensional
    column, with the inverse one-dimensional and int64."""
    if key.ndim != 1 or key.dtype.kind not in "iu" or not len(key):
        values, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return values, first, np.asarray(inverse, dtype=np.int64).reshape(-1)
    encoded = pc.dictionary_encode(pa.array(key))
    seen = encoded.indices.to_numpy()  # numbered in the order each value is first met
    values = encoded.dictionary.to_numpy()
    # A value's first row is where the numbering first reaches its number.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(seen), prepend=-1) > 0)
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return values[order], first[order], rank[seen]


def numbered(key: Array) -> tuple[Array, Array]:
    """`np.unique(key, return_inverse=True)` of a one-dimensional column, the inverse
    one-dimensional and int64."""
    values, _, places = grouped(key)
    return values, places
