"""Hostile tables through `decide_table`: data sets of every size down to none (no
works, no parties), rows naming works of the data, unknown works and bad ids, on one to
three threads. Never a traceback: each row's decision (or `error`) is the one
`PolicySet.decide` gives its use, with the same payments.

(A data set of no works once crashed the array path with an IndexError.)"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

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


@cache
def _loaded(data: str) -> LoadedPolicy:
    policies = REPO / "policies"
    policy = clausula.load(policies, data=DATA_SETS[data])
    checked = load_files([policies], data=DATA_SETS[data], display_root=REPO)
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
        amount = draw(st.sampled_from(["0", "10.00", "0.005", "1e3", "-1"]))
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
    data=st.sampled_from(sorted(DATA_SETS)),
    rows=st.lists(_row(), min_size=1, max_size=20),
    cut=st.integers(1, 8),
    workers=st.integers(1, 3),
)
def test_hostile_tables_decide_as_decide(
    data: str, rows: list[dict[str, Any]], cut: int, workers: int
) -> None:
    loaded = _loaded(data)
    batches = table_of_uses(rows).to_batches(max_chunksize=cut)
    got = decide_table(loaded, batches, workers=workers).to_pylist()
    assert len(got) == len(rows)
    for row, use in zip(got, rows, strict=True):
        payments = tuple((p["payee"], p["amount"], p["currency"]) for p in row["payments"])
        assert (row["decision"], payments) == _answer(loaded.policy_set, use), use
