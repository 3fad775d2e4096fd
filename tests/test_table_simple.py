"""`clausula.table` (the row-by-row version kept until the columnar one lands): each result
row is what `PolicySet.decide` says of the use the row makes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from cluster_uses import POLICIES, uses_table

import clausula
from clausula.table import decide_batches, decide_table, result_schema


@pytest.fixture(scope="module")
def policies() -> clausula.PolicySet:
    return clausula.load(POLICIES)


def test_each_row_is_the_decision_of_its_use(policies: clausula.PolicySet) -> None:
    table = uses_table(80)
    decided = decide_table(policies, table)
    assert decided.schema == result_schema()
    assert decided.num_rows == table.num_rows
    outcomes = set()
    for row, result in zip(table.to_pylist(), decided.to_pylist(), strict=True):
        use = {k: row[k] for k in ("id", "date", "licensee", "purpose", "territory")}
        use |= {"works": row["works"], "artists": row["artists"]}
        use["metrics"] = {"generations": row["generations"]}
        if row["revenue"] is not None:
            use["metrics"]["revenue"] = {"amount": row["revenue"], "currency": row["currency"]}
        outcomes.add(result["decision"])
        if result["decision"] == "error":
            assert result["error"].startswith("/licensee: ")
            with pytest.raises(clausula.UseError):
                policies.decide(use)
            continue
        decision = policies.decide(use)
        assert result["decision"] == decision.decision
        assert [(p["payee"], p["amount"], p["rule"]) for p in result["payments"]] == [
            (p.payee, p.amount, p.rule) for p in decision.payments
        ]
        assert result["policy_version"] == policies.version
    assert outcomes == {"pay", "deny", "error"}


def test_decimal128_revenue_is_read_at_its_currency_minor_unit(
    policies: clausula.PolicySet,
) -> None:
    template = {"licensee": "party:aria-labs", "purpose": "training", "territory": "DE"}
    table = pa.table(
        {
            "date": ["2026-09-01", "2026-09-01"],
            "works": [["isrc:USUM71703861"], ["isrc:USUM71703861"]],
            "revenue": pa.array([Decimal("1200"), Decimal("0.005")], pa.decimal128(38, 6)),
            "currency": ["USD", "USD"],
        }
    )
    first, second = decide_table(policies, table, template=template).to_pylist()
    assert first["decision"] == "pay" and first["error"] is None
    assert second["decision"] == "error" and "decimals" in second["error"]


def test_batches_stream_one_result_per_input_batch(policies: clausula.PolicySet) -> None:
    batches = uses_table(30).to_batches(max_chunksize=7)
    results = list(decide_batches(policies, batches))
    assert [b.num_rows for b in results] == [b.num_rows for b in batches]


def test_output_flags_and_facts_columns_reach_the_use(policies: clausula.PolicySet) -> None:
    template = {"licensee": "party:aria-labs", "purpose": "training", "territory": "DE"}
    table = pa.table(
        {
            "date": ["2026-09-01"],
            "works": [["isrc:USUM71703861"]],
            "output": pa.array(
                [{"public": True, "labelled_ai": None}],
                pa.struct([("public", pa.bool_()), ("labelled_ai", pa.bool_())]),
            ),
            "facts": pa.array([{"no_such_fact": 1}], pa.struct([("no_such_fact", pa.int64())])),
        }
    )
    (row,) = decide_table(policies, table, template=template).to_pylist()
    # The flags are taken (a null flag is left out), and the undeclared fact is named.
    assert row["decision"] == "error"
    assert row["error"].startswith("/facts/no_such_fact")


@pytest.mark.parametrize(
    "column",
    [
        {"facts": ['{"no_such_fact": 1}']},  # JSON text: not read as facts, so refused
        {"output": [True]},
        {"output.publik": [True]},
        {"output": pa.array([{"publik": True}], pa.struct([("publik", pa.bool_())]))},
    ],
)
def test_columns_meant_as_use_fields_but_unreadable_are_refused(
    policies: clausula.PolicySet, column: dict[str, Any]
) -> None:
    """A column that names a use field the table cannot read is an error naming it, never
    left out silently (which would decide the rows without it)."""
    from clausula.table import TableError

    template = {"licensee": "party:aria-labs", "purpose": "training", "territory": "DE"}
    table = pa.table({"date": ["2026-09-01"], "works": [["isrc:USUM71703861"]], **column})
    with pytest.raises(TableError, match=f"`{next(iter(column))}"):
        decide_table(policies, table, template=template)
