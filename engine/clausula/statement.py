"""Royalty statements: what is owed to each payee for a period, from a usage log.

A usage log is a table of uses with their metrics (generations, streams, revenue) — the
columns `decide_table` reads. `statement(policies, batches, period)` decides every use
dated in the period and sums the payments exactly:

- `lines`: one row per payment of a use: the use's `id` and `date`, the `decision` it
  comes from (`pay`), `payee`, `amount` (decimal128(38, 6), the exact rounded amount),
  `currency` and `rule`;
- `totals`: per payee, currency and rule, the `amount` (the exact sum of the lines) and
  the number of `payments` (lines) it adds up.

Every amount is a payment of `PolicySet.decide` for one use, rounded as a decision rounds
it; a statement adds them and rounds nothing again, so each total is exactly the sum of
its lines (a property test checks it against `PolicySet.decide`, use by use). Uses outside
the period are not decided; uses that are denied or make no valid use are counted in
`Statement.decisions`, never paid.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .batch import LoadedPolicy
from .dates import term_end
from .errors import ClausulaError
from .money import minor_unit
from .policy_set import PolicySet
from .table import decide_batches

_PERIOD = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2}))?")
_MONEY = pa.decimal128(38, 6)
LINES_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("date", pa.date32()),
        ("decision", pa.string()),
        ("payee", pa.string()),
        ("amount", _MONEY),
        ("currency", pa.string()),
        ("rule", pa.string()),
    ]
)


class StatementError(ClausulaError, ValueError):
    """A statement cannot be made (a period that is not one, a log without dates)."""


@dataclass(frozen=True)
class Period:
    """The days a statement covers, first and last included."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        if self.first.day == 1 and self.last == _month_end(self.first):
            return f"{self.first:%Y-%m}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def _month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month (a one-month term from its first day)."""
    return term_end(day.replace(day=1), 1, "months")


def parse_period(text: str) -> Period:
    """`2026-09` (a month) or `2026-09-01..2026-09-15` (days, both included)."""
    if "..." not in text and ".." in text:
        first_text, _, last_text = text.partition("..")
        try:
            first, last = dt.date.fromisoformat(first_text), dt.date.fromisoformat(last_text)
        except ValueError:
            raise StatementError(f"`{text}` is not a period: write 2026-09 or "
                                 "2026-09-01..2026-09-15") from None  # fmt: skip
        if last < first:
            raise StatementError(f"the period {text} ends before it starts")
        return Period(first, last)
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise StatementError(f"`{text}` is not a period: write 2026-09 or 2026-09-01..2026-09-15")
    first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    return Period(first, _month_end(first))


@dataclass
class Statement:
    """The payments of a period: every line, the totals per payee, currency and rule, and
    how many uses were decided which way."""

    period: Period
    policy_version: str
    lines: pa.Table
    decisions: dict[str, int] = field(default_factory=dict)

    @property
    def totals(self) -> pa.Table:
        """Per payee, currency and rule: the exact sum of the lines and how many there are."""
        if self.lines.num_rows == 0:
            return pa.table(
                {
                    "payee": pa.array([], pa.string()),
                    "currency": pa.array([], pa.string()),
                    "rule": pa.array([], pa.string()),
                    "amount": pa.array([], _MONEY),
                    "payments": pa.array([], pa.int64()),
                }
            )
        grouped = self.lines.group_by(["payee", "currency", "rule"]).aggregate(
            [("amount", "sum"), ([], "count_all")]
        )
        table = pa.table(
            {
                "payee": grouped["payee"],
                "currency": grouped["currency"],
                "rule": grouped["rule"],
                "amount": pc.cast(grouped["amount_sum"], _MONEY),
                "payments": grouped["count_all"],
            }
        )
        return table.sort_by([("payee", "ascending"), ("currency", "ascending"),
                              ("rule", "ascending")])  # fmt: skip

    def payees(self) -> list[str]:
        """Every payee of the period, in order."""
        return sorted(set(self.lines["payee"].to_pylist()))


def _dates(batch: pa.RecordBatch, template: Mapping[str, Any]) -> pa.Array:
    """The date of each use of a batch as date32 (the template's where a cell is null)."""
    index = batch.schema.get_field_index("date")
    fallback = template.get("date")
    n = batch.num_rows
    if index < 0:
        column: pa.Array = pa.nulls(n, pa.date32())
    else:
        column = batch.column(index)
        if not pa.types.is_date32(column.type):
            try:
                column = pc.cast(column, pa.date32())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                # Some cells are not dates: each distinct one read alone; those that are not
                # dates stay null (kept, so that the use's own error names them).
                encoded = pc.dictionary_encode(pc.cast(column, pa.string()))
                days = [_day(v) for v in encoded.dictionary.to_pylist()]
                column = pa.array(days, pa.date32()).take(encoded.indices)
    if fallback is not None:
        day = fallback if isinstance(fallback, dt.date) else dt.date.fromisoformat(str(fallback))
        column = pc.fill_null(column, pa.scalar(day, pa.date32()))
    return column


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text is not None else None
    except ValueError:
        return None


def statement(
    policies: PolicySet | LoadedPolicy,
    batches: Iterable[pa.RecordBatch],
    period: Period | str,
    *,
    template: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> Statement:
    """The statement of `period` for a usage log given as record batches of uses.

    Rows dated outside the period are left out; a row whose date cannot be read is
    decided (its decision, `error`, names the date) and counted, never paid. `workers`:
    threads deciding batches side by side, as `decide_batches` takes them.
    """
    span = parse_period(period) if isinstance(period, str) else period
    fields = dict(template or {})
    policy = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
    decisions: dict[str, int] = {}
    parts: list[pa.Table] = []
    dates_of: list[pa.Array] = []

    def in_period() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            dates = _dates(batch, fields)
            inside = pc.and_(
                pc.greater_equal(dates, pa.scalar(span.first, pa.date32())),
                pc.less_equal(dates, pa.scalar(span.last, pa.date32())),
            )
            keep = pc.or_kleene(pc.fill_null(inside, False), pc.is_null(dates))
            chosen = batch.filter(keep)
            dates_of.append(dates.filter(keep))
            yield chosen

    for result in decide_batches(policies, in_period(), template=fields, workers=workers):
        dates = dates_of.pop(0)
        for item in pc.value_counts(result.column("decision")).to_pylist():
            decisions[item["values"]] = decisions.get(item["values"], 0) + item["counts"]
        payments = result.column("payments")
        counts = pc.fill_null(pc.list_value_length(payments), 0).to_numpy(zero_copy_only=False)
        if not counts.sum():
            continue
        rows = pa.array(np.repeat(np.arange(len(result)), counts))
        flat = pc.list_flatten(payments)
        parts.append(
            pa.table(
                {
                    "id": result.column("id").take(rows),
                    "date": dates.take(rows),
                    "decision": result.column("decision").take(rows),
                    "payee": pc.struct_field(flat, "payee"),
                    "amount": pc.struct_field(flat, "amount"),
                    "currency": pc.struct_field(flat, "currency"),
                    "rule": pc.struct_field(flat, "rule"),
                },
                schema=LINES_SCHEMA,
            )
        )
    lines = pa.concat_tables(parts) if parts else LINES_SCHEMA.empty_table()
    return Statement(span, policy.version, lines, decisions)


# ------------------------------------------------------------------ pages


def written(amount: Decimal, currency: str) -> str:
    """An exact amount at its currency's minor unit (every line is one, so is every sum)."""
    return str(amount.quantize(minor_unit(currency)))


def payee_file_name(payee: str) -> str:
    """A file name for a payee's page: `isni:0000000121032683` → `isni-0000000121032683`."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", payee).strip("-.") or "payee"


def _payee_rows(statement: Statement, payee: str) -> list[dict[str, Any]]:
    totals = statement.totals
    mine = totals.filter(pc.equal(totals["payee"], payee))
    return list(mine.to_pylist())


def markdown_page(statement: Statement, payee: str) -> str:
    """A payee's statement as Markdown: per rule and currency, the amount and the number
    of payments it adds up."""
    rows = _payee_rows(statement, payee)
    out = [
        f"# Statement for {payee}",
        "",
        f"Period: {statement.period.label}  ",
        f"Policy: `{statement.policy_version}`",
        "",
        "| rule | currency | payments | amount |",
        "|---|---|---:|---:|",
    ]
    sums: dict[str, Decimal] = {}
    for row in rows:
        out.append(
            f"| {_cell(row['rule'])} | {row['currency']} | {row['payments']:,} | "
            f"{written(row['amount'], row['currency'])} |"
        )
        sums[row["currency"]] = sums.get(row["currency"], Decimal(0)) + row["amount"]
    out.append("")
    for currency, amount in sorted(sums.items()):
        out.append(f"**Total: {written(amount, currency)} {currency}**  ")
    out.append("")
    out.append(
        "Each amount is the sum of the payments of the uses listed in the statement's lines, "
        "each rounded once, as its decision rounds it."
    )
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def html_page(statement: Statement, payee: str) -> str:
    """A payee's statement as a standalone HTML page (every value escaped)."""
    rows = _payee_rows(statement, payee)
    esc = html.escape
    body = "".join(
        f"<tr><td>{esc(r['rule'])}</td><td>{esc(r['currency'])}</td>"
        f"<td class=n>{r['payments']:,}</td><td class=n>{written(r['amount'], r['currency'])}</td></tr>"
        for r in rows
    )
    sums: dict[str, Decimal] = {}
    for r in rows:
        sums[r["currency"]] = sums.get(r["currency"], Decimal(0)) + r["amount"]
    totals = "".join(
        f"<p><strong>Total: {written(a, c)} {esc(c)}</strong></p>" for c, a in sorted(sums.items())
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>Statement for {esc(payee)}, {esc(statement.period.label)}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ccc}"
        ".n{text-align:right}</style>"
        f"<h1>Statement for {esc(payee)}</h1>"
        f"<p>Period: {esc(statement.period.label)}<br>Policy: <code>"
        f"{esc(statement.policy_version)}</code></p>"
        "<table><tr><th>rule</th><th>currency</th><th>payments</th><th>amount</th></tr>"
        f"{body}</table>{totals}</html>\n"
    )


def write_statement(statement: Statement, directory: Path, *, kind: str = "parquet") -> list[Path]:
    """Write `totals` and `lines` (Parquet or CSV) and a Markdown and an HTML page per
    payee into `directory`; returns the files written."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    written_files: list[Path] = []
    for name, table in (("totals", statement.totals), ("lines", statement.lines)):
        path = directory / f"{name}.{'parquet' if kind == 'parquet' else 'csv'}"
        if kind == "parquet":
            pq.write_table(table, path)
        else:
            pacsv.write_csv(table, path)
        written_files.append(path)
    pages = directory / "payees"
    pages.mkdir(exist_ok=True)
    for payee in statement.payees():
        stem = payee_file_name(payee)
        for suffix, text in (
            ("md", markdown_page(statement, payee)),
            ("html", html_page(statement, payee)),
        ):
            path = pages / f"{stem}.{suffix}"
            path.write_text(text, encoding="utf-8")
            written_files.append(path)
    return written_files


__all__ = [
    "LINES_SCHEMA",
    "Period",
    "Statement",
    "StatementError",
    "html_page",
    "markdown_page",
    "parse_period",
    "payee_file_name",
    "statement",
    "write_statement",
]
