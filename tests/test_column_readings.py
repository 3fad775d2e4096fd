"""Readings of a whole column that stand for a reading cell by cell:
`clausula.table.plain_amounts` against the regular expression it stands for, and the
batch core's distinct readings of the data against reading each entity."""

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


@settings(max_examples=200, deadline=None)
@given(
    entities=st.lists(
        st.dictionaries(
            st.sampled_from(["release", "death", "other"]),
            st.none() | st.integers(0, 3) | st.lists(st.integers(0, 2), max_size=2),
            max_size=3,
        ),
        max_size=12,
    ),
    fields=st.sets(st.sampled_from(["release", "death", "missing"]), max_size=3),
    lazily=st.booleans(),
)
def test_distinct_readings_are_the_distinct_values_each_entity_reads(
    entities: list[dict[str, object]], fields: set[str], lazily: bool
) -> None:
    """The batch core's date boundaries read each distinct combination of the fields an
    expression reads once: one stand-in per combination, a missing field read as None;
    the entities as they are when a value cannot be a key (a list)."""
    from types import SimpleNamespace

    from clausula.batch.dates import _distinct_readings

    items = [SimpleNamespace(**e) for e in entities]
    names = sorted(fields)
    rows = [tuple(getattr(e, f, None) for f in names) for e in items]
    got = _distinct_readings(iter(items) if lazily else items, fields)
    if any(isinstance(v, list) for row in rows for v in row):
        assert list(got) == items
        return
    readings = sorted(repr(tuple(getattr(g, f) for f in names)) for g in got)
    assert readings == sorted(repr(r) for r in set(rows))
