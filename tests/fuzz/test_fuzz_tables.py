"""Hostile tables through `decide_table`: data sets of every size down to none (no
works, no parties), rows naming works of the data, unknown works and bad ids, on one to
three threads. Never a traceback: each row's decision (or `error`) is the one
`PolicySet.decide` gives its use, with the same payments.

(A data set of no works once crashed the array path with an IndexError; one of parties
and grants but no works, with rows of one artist and no work whose payments rounding
changed, crashed it with an ArrowIndexError; a table of string views — as Polars gives
them — with rows for the row path crashed it with an ArrowNotImplementedError.)"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula.batch import LoadedPolicy, load_files
from clausula.table import decide_table, table_of_uses
from clausula.use_input import UseError

REPO = Path(__file__).resolve().parents[2]
DATA_SETS = {
    "none": REPO / "tests/fixtures/data/empty",
    "small": REPO / "tests/fixtures/data/valid",
    "shipped": REPO / "policies/data",
}
WORKS = [
    "isrc:USUM71703861",
    "isrc:USEXL2400102",
    "isrc:DEEXL2500217",
    "isrc:QZZZZ2699999",
    "iswc:T0345246801",
    "isrc:USUM7170386X",
    "",
]
ARTISTS = ["isni:0000000121032683", "isni:0000000368570205", "isni:0000000121032684", "nope"]


# Parties and grants, no works, and a contract of every work that pays each artist named in
# the use — what a usage log of generations in an artist's voice is decided against.
_NO_WORKS_CONTRACT = """\
contract "fuzz-voices" "Generations in the artists' voices"
  licensor party:fuzz-label
  licensee party:aria-labs
  effective 2026-01-01
  territory worldwide
  scope all works

  clause 1 "Purposes"
    permit training, generation

  clause 2 "Opt-in"
    require consent of each artist in use.artists for use.purpose

  clause 3 "12% of revenue to each artist, at least 0.50 USD"
    pay max(12% * use.revenue, 0.50 USD) to each artist in use.artists
"""
_NO_WORKS_DATA = """\
parties:
  - {id: party:fuzz-label, kind: label, name: Fuzz Label}
  - {id: party:aria-labs, kind: developer, name: Aria Labs}
  - {id: isni:0000000121032683, kind: artist, name: One}
  - {id: isni:0000000368570205, kind: artist, name: Two}
grants:
  - {id: g-one, grantor: isni:0000000121032683, grantee: any, purposes: [training, generation],
     territories: [US], valid_from: 2026-01-01}
  - {id: g-two, grantor: isni:0000000368570205, grantee: any, purposes: [generation],
     territories: [worldwide], valid_from: 2026-01-01, valid_until: 2026-12-31}
"""


@cache
def _policies_and_data(data: str) -> tuple[Path, Path]:
    """The policies and data set's folders; `no works` is written once per session."""
    if data != "no works":
        return REPO / "policies", DATA_SETS[data]
    root = Path(tempfile.mkdtemp(prefix="clausula-no-works-"))
    (root / "policies").mkdir()
    (root / "data").mkdir()
    (root / "policies" / "voices.clause").write_text(_NO_WORKS_CONTRACT, encoding="utf-8")
    (root / "data" / "voices.yaml").write_text(_NO_WORKS_DATA, encoding="utf-8")
    return root / "policies", root / "data"


@cache
def _loaded(data: str) -> LoadedPolicy:
    policies, folder = _policies_and_data(data)
    policy = clausula.load(policies, data=folder)
    checked = load_files([policies], data=folder, display_root=policies.parent)
    return LoadedPolicy(policy, checked.checked)


@st.composite
def _row(draw: st.DrawFn) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": f"r{draw(st.integers(0, 3))}",
        "date": draw(st.sampled_from(["2026-05-01", "2027-01-01", "2026-02-30", "1999-12-31"])),
        "licensee": "party:aria-labs",
        "purpose": draw(st.sampled_from(["training", "generation", "nope"])),
        "territory": draw(st.sampled_from(["US", "DE", "US-TN", "CN", "XX"])),
        "works": draw(st.lists(st.sampled_from(WORKS), min_size=0, max_size=2)),
    }
    if draw(st.booleans()):
        use["artists"] = draw(st.lists(st.sampled_from(ARTISTS), max_size=1))
    if draw(st.booleans()):
        amount = draw(st.sampled_from(["0", "10.00", "0.005", "12.34", "1e3", "-1"]))
        use["metrics"] = {"revenue": {"amount": amount, "currency": "USD"}, "generations": 3}
    return use


def _answer(policy: clausula.PolicySet, use: dict[str, Any]) -> tuple[Any, ...]:
    try:
        decision = policy.decide(use)
    except UseError:
        return ("error", ())
    return (
        decision.decision,
        tuple((p.payee, Decimal(p.amount), p.currency) for p in decision.payments),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.sampled_from([*sorted(DATA_SETS), "no works"]),
    rows=st.lists(_row(), min_size=1, max_size=20),
    cut=st.integers(1, 8),
    workers=st.integers(1, 3),
)
def test_hostile_tables_decide_as_decide(
    data: str, rows: list[dict[str, Any]], cut: int, workers: int
) -> None:
    _decided_as_decide(_loaded(data), rows, cut, workers)


_LAYOUTS = ["plain", "dictionary", "large", "view"]


def _laid_out(column: pa.ChunkedArray, layout: str) -> pa.ChunkedArray:
    """A column of text (or a list of it) in another Arrow layout, the same values."""
    kind = column.type
    text = pa.types.is_string(kind)
    if layout == "plain" or not (text or pa.types.is_list(kind)):
        return column
    if pa.types.is_list(kind):
        item = {"dictionary": pa.string(), "large": pa.large_string()}.get(layout, pa.string_view())
        return column.cast(pa.large_list(item) if layout == "large" else pa.list_(item))
    if layout == "dictionary":
        return pc.dictionary_encode(column)
    return column.cast(pa.large_string() if layout == "large" else pa.string_view())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.sampled_from([*sorted(DATA_SETS), "no works"]),
    rows=st.lists(_row(), min_size=1, max_size=20),
    layouts=st.lists(st.sampled_from(_LAYOUTS), min_size=12, max_size=12),
    cut=st.integers(1, 8),
)
def test_tables_in_any_arrow_layout_decide_as_decide(
    data: str, rows: list[dict[str, Any]], layouts: list[str], cut: int
) -> None:
    """Each column of text or lists as a dictionary, a large string or list, or a string
    view (as Polars and Parquet readers give them), and an ignored column of string views:
    decided as `PolicySet.decide` decides the uses."""
    _decided_as_decide(_loaded(data), rows, cut, 1, layouts)


def _decided_as_decide(
    loaded: LoadedPolicy,
    rows: list[dict[str, Any]],
    cut: int,
    workers: int,
    layouts: list[str] | None = None,
) -> None:
    """`decide_table` of `rows` in batches of `cut` on `workers` threads (each column in
    the Arrow layout `layouts` names, with an ignored column of string views): each row's
    decision and payments those `PolicySet.decide` gives its use."""
    table = table_of_uses(rows)
    if layouts is not None:
        table = pa.table(
            [_laid_out(c, layouts[i % len(layouts)]) for i, c in enumerate(table.columns)]
            + [pa.chunked_array([pa.array(["x"] * len(table), pa.string_view())])],
            names=[*table.column_names, "note"],
        )
    batches = table.to_batches(max_chunksize=cut)
    got = decide_table(loaded, batches, workers=workers).to_pylist()
    assert len(got) == len(rows)
    for row, use in zip(got, rows, strict=True):
        payments = tuple((p["payee"], p["amount"], p["currency"]) for p in row["payments"])
        assert (row["decision"], payments) == _answer(loaded.policy_set, use), use


@st.composite
def _voice_row(draw: st.DrawFn) -> dict[str, Any]:
    """A usage log's row: mostly no work and one artist, with revenue to pay on."""
    use = draw(_row())
    use["works"] = draw(st.sampled_from([[], [], [], [WORKS[0]]]))
    use["artists"] = [draw(st.sampled_from(ARTISTS[:2] * 3 + ARTISTS[2:]))]
    use["territory"] = draw(st.sampled_from(["US", "US", "DE"]))
    use["purpose"] = draw(st.sampled_from(["generation", "training"]))
    amount = draw(st.sampled_from(["12.34", "10.00", "0.01", "3", "1.07"]))
    use["metrics"] = {"revenue": {"amount": amount, "currency": "USD"}}
    return use


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(_voice_row(), min_size=1, max_size=30),
    cut=st.integers(1, 8),
    workers=st.integers(1, 3),
)
def test_usage_logs_against_a_data_set_of_no_works_decide_as_decide(
    rows: list[dict[str, Any]], cut: int, workers: int
) -> None:
    """Rows of one artist and no work (or a work the data does not hold), paying by their
    revenue, against parties and grants with no works: as `decide`, never a traceback."""
    _decided_as_decide(_loaded("no works"), rows, cut, workers)
