"""`clausula.batch.key_groups`: rows grouped by integer keys, by hashing, exactly as
`np.unique` groups them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clausula.batch.key_groups import grouped, numbered

_KEYS = hnp.arrays(
    dtype=st.sampled_from([np.int64, np.int32, np.uint64, np.int8, np.bool_]),
    shape=st.integers(0, 300),
    elements=None,
) | hnp.arrays(  # few distinct values among many rows, as a batch's classes are
    dtype=np.int64, shape=st.integers(0, 300), elements=st.integers(-3, 3)
)


@settings(max_examples=300, deadline=None)
@given(key=_KEYS, step=st.integers(1, 3))
def test_groups_are_those_of_np_unique(key: np.ndarray, step: int) -> None:
    """The sorted distinct values, each one's first row and each row's place among them —
    for any integer type, extreme values, empty columns and strided views alike."""
    key = key[::step]
    values, first, inverse = grouped(key)
    want_values, want_first, want_inverse = np.unique(key, return_index=True, return_inverse=True)
    assert values.tolist() == want_values.tolist()
    assert first.tolist() == want_first.tolist()
    assert inverse.tolist() == want_inverse.reshape(-1).tolist()
    assert inverse.dtype == np.int64 and inverse.ndim == 1
    assert values[inverse].tolist() == key.tolist()
    only, places = numbered(key)
    assert only.tolist() == want_values.tolist() and places.tolist() == inverse.tolist()
