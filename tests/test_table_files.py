"""Parquet and JSON Lines manifests through `clausula filter`, and royalty statements.

The reference is `PolicySet.decide` on each row's use (`test_table._row`): the rows
written, the summary's counts and totals, and a statement's sums must all follow from it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_table import _WORLD_SETS, _loaded, _manifest_use, _row, _same
from typer.testing import CliRunner

from clausula.cli import app
from clausula.statement import StatementError, parse_period, statement
from clausula.table import table_of_uses
from clausula.table_files import ADDED, TableSummary, filter_table

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
KEY = _WORLD_SETS[0]


def _expected_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and totals worked out from the reference rows, one by one."""
    decisions: dict[str, int] = {}
    denied: dict[str, int] = {}
    payees: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        decisions[row["decision"]] = decisions.get(row["decision"], 0) + 1
        if row["decision"] == "deny":
            rule = row["reason_rule"] or "(no rule)"
            denied[rule] = denied.get(rule, 0) + 1
        for p in row["payments"]:
            key = (p["payee"], p["currency"])
            payees[key] = payees.get(key, Decimal(0)) + p["amount"]
    return {"decisions": decisions, "denied": denied, "payees": payees}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    uses=st.lists(_manifest_use(), min_size=1, max_size=10),
    size=st.integers(1, 4),
    workers=st.integers(1, 3),
)
def test_parquet_filter_streams_rows_and_sums_as_decide(
    tmp_path_factory: pytest.TempPathFactory, uses: list[dict[str, Any]], size: int, workers: int
) -> None:
    """Parquet in, Parquet out, `size` rows at a time on 1–3 threads: every row as decide
    answers it, the input columns kept, and the summary's counts and payee totals exact."""
    tmp = tmp_path_factory.mktemp("filter")
    loaded = _loaded(*KEY)
    table = table_of_uses(uses)
    pq.write_table(table, tmp / "m.parquet", row_group_size=size)
    summary = filter_table(
        loaded, tmp / "m.parquet", tmp / "out.parquet", batch_rows=size, workers=workers
    )
    out = pq.read_table(tmp / "out.parquet")
    assert out.column_names == table.column_names + list(ADDED)
    assert out.select(table.column_names).to_pylist() == table.to_pylist()
    want = [_row(loaded.policy_set, u) for u in uses]
    got = out.select(["id", *ADDED]).to_pylist()
    _same(got, want)
    expected = _expected_summary(want)
    assert summary.rows == len(uses)
    assert summary.by_decision == expected["decisions"]
    assert summary.denied_by_rule == expected["denied"]
    assert summary.owed_by_payee == {k: v for k, v in expected["payees"].items()}


def test_a_decided_parquet_file_has_statistics_of_its_flat_columns_only(tmp_path: Path) -> None:
    """Readers skip row groups by the flat columns' min and max (`decision`, the denying
    rule, the manifest's own columns); the payments' and totals' nested fields have none."""
    loaded = _loaded(*KEY)
    uses = [json.loads(p.read_text()) for p in sorted((POLICIES / "uses").glob("0*.json"))]
    pq.write_table(table_of_uses(uses), tmp_path / "m.parquet")
    filter_table(loaded, tmp_path / "m.parquet", tmp_path / "out.parquet")
    group = pq.ParquetFile(tmp_path / "out.parquet").metadata.row_group(0)
    columns = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    assert columns["decision"].is_stats_set and columns["date"].is_stats_set
    nested = [path for path in columns if path.startswith(("payments.", "totals."))]
    assert nested and not any(columns[path].is_stats_set for path in nested)


def test_a_decided_parquet_file_keeps_a_dictionary_for_every_column_but_the_id(
    tmp_path: Path,
) -> None:
    """The decision, rules, version and currencies repeat from row to row and are written
    with a dictionary; the use ids, each row's own, are written plainly. The rows read
    back as they were decided."""
    loaded = _loaded(*KEY)
    uses = [json.loads(p.read_text()) for p in sorted((POLICIES / "uses").glob("0*.json"))]
    pq.write_table(table_of_uses(uses), tmp_path / "m.parquet")
    filter_table(loaded, tmp_path / "m.parquet", tmp_path / "out.parquet")
    group = pq.ParquetFile(tmp_path / "out.parquet").metadata.row_group(0)
    encodings = {
        group.column(i).path_in_schema: group.column(i).encodings for i in range(group.num_columns)
    }
    assert "RLE_DICTIONARY" not in encodings["id"]
    for path in ("decision", "policy_version", "payments.list.element.rule", "reason_rule"):
        assert "RLE_DICTIONARY" in encodings[path], path
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    want = [_row(loaded.policy_set, u) for u in uses]
    assert [(r["id"], r["decision"]) for r in out] == [(w["id"], w["decision"]) for w in want]


def test_json_lines_in_csv_out(tmp_path: Path) -> None:
    loaded = _loaded(*KEY)
    uses = [json.loads(p.read_text()) for p in sorted((POLICIES / "uses").glob("0*.json"))]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(u) + "\n" for u in uses), "utf-8")
    summary = filter_table(loaded, tmp_path / "m.jsonl", tmp_path / "out.csv", batch_rows=3)
    out = pacsv.read_csv(tmp_path / "out.csv").to_pylist()
    want = [_row(loaded.policy_set, u) for u in uses]
    assert [r["decision"] for r in out] == [w["decision"] for w in want]
    assert summary.rows == len(uses)


def test_cli_filter_parquet_prints_the_summary(tmp_path: Path) -> None:
    uses = [json.loads(p.read_text()) for p in sorted((POLICIES / "uses").glob("0*.json"))]
    uses.append({**uses[0], "id": "bad", "works": ["isrc:NOPE"]})
    pq.write_table(table_of_uses(uses), tmp_path / "m.parquet")
    runner = CliRunner(env={"NO_COLOR": "1"})
    args = ["filter", str(tmp_path / "m.parquet"), "-o", str(tmp_path / "out.parquet")]
    result = runner.invoke(app, [*args, "-p", str(POLICIES), "--summary", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "rows that make no valid use, by field:" in result.output
    assert "/works/0" in result.output and "owed per payee:" in result.output
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["rows"] == len(uses) and saved["decisions"]["error"] == 1
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.num_rows == len(uses)
    bad = out.filter(pa.compute.equal(out["id"], "bad")).to_pylist()[0]
    assert bad["decision"] == "error" and bad["error"].startswith("/works/0")


def test_cli_filter_workers(tmp_path: Path) -> None:
    """`--workers 1` and `--workers 2` write the same rows; 0 or 17 threads are refused."""
    uses = [json.loads(p.read_text()) for p in sorted((POLICIES / "uses").glob("0*.json"))]
    uses = [{**u, "id": f"{u.get('id')}-{i}"} for i in range(40) for u in uses]
    pq.write_table(table_of_uses(uses), tmp_path / "m.parquet", row_group_size=7)
    runner = CliRunner(env={"NO_COLOR": "1"})
    written = []
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}.parquet"
        args = ["filter", str(tmp_path / "m.parquet"), "-o", str(out), "--workers", workers]
        result = runner.invoke(app, [*args, "-p", str(POLICIES)])
        assert result.exit_code == 0, result.output
        written.append(pq.read_table(out))
    assert written[0].num_rows == len(uses) and written[0].equals(written[1])
    for bad in ("0", "17"):
        args = ["filter", str(tmp_path / "m.parquet"), "-o", str(tmp_path / "x.parquet")]
        result = runner.invoke(app, [*args, "--workers", bad, "-p", str(POLICIES)])
        assert result.exit_code == 2 and "--workers" in result.output


# ------------------------------------------------------------------ statements


@st.composite
def _usage(draw: st.DrawFn) -> dict[str, Any]:
    use = draw(_manifest_use())
    use["date"] = draw(st.sampled_from(["2026-05-31", "2026-06-01", "2026-06-15", "2026-06-30",
                                        "2026-07-01", "2028-06-02", "2026-06-31"]))  # fmt: skip
    return use


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    uses=st.lists(_usage(), min_size=1, max_size=12),
    size=st.integers(1, 5),
    workers=st.integers(1, 3),
)
def test_statement_sums_are_the_per_use_payments(
    uses: list[dict[str, Any]], size: int, workers: int
) -> None:
    """Per payee, currency and rule, a statement's amount is exactly the sum of the
    payments `PolicySet.decide` gives each use dated in the period; nothing else —
    whatever the number of threads deciding."""
    loaded = _loaded(*KEY)
    table = table_of_uses(uses)
    made = statement(loaded, table.to_batches(max_chunksize=size), "2026-06", workers=workers)
    expected: dict[tuple[str, str, str], Decimal] = {}
    lines = 0
    decisions: dict[str, int] = {}
    for use in uses:
        if not "2026-06-01" <= use["date"] <= "2026-06-31":  # 06-31: not a date, decided
            continue
        row = _row(loaded.policy_set, use)
        decisions[row["decision"]] = decisions.get(row["decision"], 0) + 1
        for p in row["payments"]:
            key = (p["payee"], p["currency"], p["rule"])
            expected[key] = expected.get(key, Decimal(0)) + p["amount"]
            lines += 1
    got = {(r["payee"], r["currency"], r["rule"]): r["amount"] for r in made.totals.to_pylist()}
    assert got == expected
    assert made.lines.num_rows == lines == sum(r["payments"] for r in made.totals.to_pylist())
    assert made.decisions == decisions


def test_statement_cli_writes_pages(tmp_path: Path) -> None:
    uses = [json.loads(p.read_text()) for p in sorted((POLICIES / "uses").glob("0*.json"))]
    pq.write_table(table_of_uses(uses), tmp_path / "usage.parquet")
    runner = CliRunner(env={"NO_COLOR": "1"})
    args = ["statement", str(tmp_path / "usage.parquet"), "--period", "2026-09"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "st"), "-p", str(POLICIES), "--csv"])
    assert result.exit_code == 0, result.output
    totals = pacsv.read_csv(tmp_path / "st" / "totals.csv").to_pylist()
    assert totals, "the shipped example uses pay someone in 2026-09"
    label = tmp_path / "st" / "payees" / "party-example-label.md"
    page = label.read_text()
    assert "# Statement for party:example-label" in page and "Period: 2026-09" in page
    html = (tmp_path / "st" / "payees" / "party-example-label.html").read_text()
    assert "<h1>Statement for party:example-label</h1>" in html
    bad = runner.invoke(app, [*args[:2], "--period", "2026-13", "-p", str(POLICIES)])
    assert bad.exit_code == 1 and "is not a period" in bad.output


def test_periods() -> None:
    assert parse_period("2026-02").last.isoformat() == "2026-02-28"
    assert parse_period("2026-09-01..2026-09-15").label == "2026-09-01..2026-09-15"
    for text in ("2026-13", "2026", "2026-09-15..2026-09-01", "x..y"):
        with pytest.raises(StatementError):
            parse_period(text)


def test_summary_of_nothing() -> None:
    assert TableSummary().text().startswith("0 rows: none")
