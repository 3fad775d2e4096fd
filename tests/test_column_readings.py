"""The array path's readings of a column that the core would make cell by cell:
`clausula.table.plain_amounts` against the regular expression it stands for."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from clausula.table import _PLAIN_AMOUNT, plain_amounts

_AMOUNT_TEXT = st.text(alphabet=st.sampled_from("0123456789.-e+ \n٣"), max_size=40) | st.from_regex(
    r"\A[0-9]{1,17}(\.[0-9]{0,32})?\Z"
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.none() | _AMOUNT_TEXT, max_size=30), cut=st.integers(0, 3))
def test_plain_amounts_are_those_of_the_regular_expression(
    cells: list[str | None], cut: int
) -> None:
    """`plain_amounts` reads a cell as plain exactly when `_PLAIN_AMOUNT` matches all of it
    (not a null), with its decimals — on slices of larger columns too."""
    pattern = re.compile(_PLAIN_AMOUNT.removeprefix("^").removesuffix("$"))
    column = pa.array(["9.99"] * cut + cells, pa.string()).slice(cut)
    plain, decimals = plain_amounts(column)
    want = [c is not None and pattern.fullmatch(c) is not None for c in cells]
    assert plain.tolist() == want
    for cell, ok, count in zip(cells, want, decimals.tolist(), strict=True):
        if ok:
            assert cell is not None
            assert count == (len(cell) - cell.index(".") - 1 if "." in cell else 0)
