"""`clausula.batch.columnar.StringIndex`: the NumPy hash join that finds a row's work."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clausula.batch.columnar import StringIndex

_TEXT = st.text(alphabet=st.sampled_from("isrc:ABZ019é-"), min_size=1, max_size=40)


@st.composite
def _catalogue(draw: st.DrawFn) -> tuple[list[str], list[str | None]]:
    """Distinct ids — all of one width (as ISRCs are) or of any widths — and queries that
    hit, nearly hit (one character changed) or miss them, with nulls."""
    width = draw(st.none() | st.integers(1, 40))
    ids = draw(
        st.lists(
            _TEXT
            if width is None
            else st.text(alphabet="isrc:AB01", min_size=width, max_size=width),
            unique=True,
            max_size=30,
        )
    )
    near = [i[:-1] + ("X" if i[-1:] != "X" else "Y") for i in ids if i]
    known = ids + near
    hits = st.sampled_from(known) if known else st.nothing()
    queries = draw(st.lists(hits | _TEXT | st.just("") | st.none(), max_size=40))
    if draw(st.booleans()):
        # Widths that add up as one width would (w, w-d, w+d, …, w), the first and the
        # last alike: a batch that only looks like ids of one width laid end to end.
        w = draw(st.integers(2, 20))
        d = draw(st.integers(1, w - 1))
        pairs = draw(st.lists(st.tuples(hits | _TEXT, hits | _TEXT), max_size=5))
        middle = [t for a, b in pairs for t in ((a * w)[: w - d], (b * w)[: w + d])]
        queries = [(draw(hits | _TEXT) * w)[:w], *middle, (draw(hits | _TEXT) * w)[:w]]
    return ids, queries


@settings(max_examples=300, deadline=None)
@given(case=_catalogue(), cut=st.integers(0, 3))
@example(case=(["0", "abc"], ["ab", "0", "abc", "xy"]), cut=0)  # once found nothing here
def test_positions_are_those_of_a_dict(case: tuple[list[str], list[str | None]], cut: int) -> None:
    """Each query's position among the ids, -1 when it is not one (or null, or empty: no
    id is), whatever the ids' and the queries' widths and whether the arrays are slices of
    larger ones."""
    ids, queries = case
    where = {s: i for i, s in enumerate(ids)}
    index = StringIndex(pa.array(["pad"] * cut + ids, pa.string()).slice(cut))
    got = index.positions(pa.array(["pad"] * cut + queries, pa.string()).slice(cut))
    assert got.tolist() == [where.get(q, -1) if q else -1 for q in queries]
