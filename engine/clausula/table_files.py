"""Manifests and usage logs as files: Parquet, CSV and JSON Lines, in record batches.

`filter_table` streams a manifest file through `decide_batches`: it reads
`BATCH_ROWS` rows at a time (Parquet row groups are read in batches; JSON Lines a batch of
lines at a time), decides them, and writes each batch out with its decision columns before
reading the next, so memory is bounded by a batch whatever the file's size. The
`TableSummary` counts the rows per decision, the denials per rule, the rows that make no
valid use per field, and the totals per payee and currency (exact decimals).

Parquet in, Parquet out keeps the columns typed (payments as a list of structs with
decimal128 amounts); written as CSV or JSON Lines, the payments and totals are text
(`party:x 12.50 USD; party:y 3.00 USD`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .batch import LoadedPolicy
from .manifest import ManifestError
from .money import minor_digits
from .policy_set import PolicySet
from .table import decide_batches, result_schema, table_of_uses

#: Rows read, decided and written at a time (the bound on a filter's memory).
BATCH_ROWS = 65_536
#: The file kinds, by suffix.
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: The decision columns added to each row (the row's own `id` is kept).
ADDED = tuple(f.name for f in result_schema() if f.name != "id")

Progress = Callable[[int, int], None]
"""Called after each batch with (rows done, rows in all when known, else 0)."""


def format_of(path: str | Path) -> str:
    """`parquet`, `jsonl` or `csv`, by the file's suffix."""
    return FORMATS.get(Path(path).suffix.lower(), "csv")


@dataclass
class TableSummary:
    """What a run decided: rows per decision, denials per rule, errors per field, and the
    totals per payee and currency (exact)."""

    rows: int = 0
    by_decision: dict[str, int] = field(default_factory=dict)
    denied_by_rule: dict[str, int] = field(default_factory=dict)
    errors_by_field: dict[str, int] = field(default_factory=dict)
    owed: dict[str, Decimal] = field(default_factory=dict)
    owed_by_payee: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    policy_version: str = ""

    def add(self, result: pa.RecordBatch | pa.Table) -> None:
        """Count one batch of `decide_batches` results in."""
        table = result if isinstance(result, pa.Table) else pa.Table.from_batches([result])
        self.rows += table.num_rows
        for item in pc.value_counts(table["decision"]).to_pylist():
            name = item["values"]
            self.by_decision[name] = self.by_decision.get(name, 0) + item["counts"]
        denied = table.filter(pc.equal(table["decision"], "deny"))
        if denied.num_rows:
            rules = pc.fill_null(denied["reason_rule"], "(no rule)")
            for item in pc.value_counts(rules).to_pylist():
                name = item["values"]
                self.denied_by_rule[name] = self.denied_by_rule.get(name, 0) + item["counts"]
        errors = table.filter(pc.equal(table["decision"], "error"))
        if errors.num_rows:
            for item in pc.value_counts(errors["error"]).to_pylist():
                where = _fields(item["values"] or "")
                self.errors_by_field[where] = self.errors_by_field.get(where, 0) + item["counts"]
        payments = pc.list_flatten(table["payments"])
        if len(payments):
            flat = pa.table(
                {
                    "payee": pc.struct_field(payments, "payee"),
                    "currency": pc.struct_field(payments, "currency"),
                    "amount": pc.struct_field(payments, "amount"),
                }
            )
            sums = flat.group_by(["payee", "currency"]).aggregate([("amount", "sum")])
            for row in sums.to_pylist():
                key = (row["payee"], row["currency"])
                amount = row["amount_sum"]
                self.owed_by_payee[key] = self.owed_by_payee.get(key, Decimal(0)) + amount
                self.owed[key[1]] = self.owed.get(key[1], Decimal(0)) + amount
        if not self.policy_version and table.num_rows:
            self.policy_version = table["policy_version"][0].as_py()

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (money as decimal strings at the minor unit)."""
        return {
            "rows": self.rows,
            "decisions": dict(sorted(self.by_decision.items())),
            "denied_by_rule": _by_count(self.denied_by_rule),
            "errors_by_field": _by_count(self.errors_by_field),
            "owed": [{"amount": _money(a, c), "currency": c} for c, a in sorted(self.owed.items())],
            "owed_by_payee": [
                {"payee": p, "amount": _money(a, c), "currency": c}
                for (p, c), a in sorted(self.owed_by_payee.items())
            ],
            "policy": self.policy_version,
        }

    def text(self) -> str:
        """The summary for people."""
        counts = ", ".join(f"{n:,} {d}" for d, n in sorted(self.by_decision.items()))
        lines = [f"{self.rows:,} rows: {counts or 'none'}"]
        if self.denied_by_rule:
            lines.append("denied by rule:")
            lines += [f"  {n:>12,}  {r}" for r, n in _by_count(self.denied_by_rule).items()]
        if self.errors_by_field:
            lines.append("rows that make no valid use, by field:")
            lines += [f"  {n:>12,}  {f}" for f, n in _by_count(self.errors_by_field).items()]
        if self.owed_by_payee:
            lines.append("owed per payee:")
            lines += [
                f"  {_money(a, c):>16} {c}  {p}" for (p, c), a in sorted(self.owed_by_payee.items())
            ]
        owed = ", ".join(f"{_money(a, c)} {c}" for c, a in sorted(self.owed.items())) or "nothing"
        lines.append(f"total owed: {owed}")
        lines.append(f"policy {self.policy_version}")
        return "\n".join(lines)


def _money(amount: Decimal, currency: str) -> str:
    """An amount of decimal128(38, 6) written to its currency's minor unit, as decisions
    write it (`12.500000` USD → `12.50`; `5.000000` JPY → `5`)."""
    return str(amount.quantize(Decimal(1).scaleb(-minor_digits(currency))))


def _by_count(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _fields(error: str) -> str:
    """The JSON Pointers an error text names (`/works/0: …; /date: …` → `/date, /works/0`)."""
    pointers = {part.split(": ", 1)[0] for part in error.split("; ") if part.startswith("/")}
    return ", ".join(sorted(pointers)) or "/"


# ------------------------------------------------------------------ reading


def read_batches(path: str | Path, *, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The uses of a Parquet or JSON Lines file, `batch_rows` at a time."""
    kind = format_of(path)
    try:
        if kind == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows)
            return
        if kind == "jsonl":
            yield from _json_lines(Path(path), batch_rows)
            return
    except (OSError, pa.ArrowInvalid) as error:
        raise ManifestError(f"cannot read {path}: {error}") from None
    raise ManifestError(f"{path}: read CSV manifests with `filter_manifest`")


def _json_lines(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    chunk: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                use = json.loads(line)
            except json.JSONDecodeError as error:
                raise ManifestError(f"{path}:{number}: not JSON: {error.msg}") from None
            if not isinstance(use, dict):
                raise ManifestError(f"{path}:{number}: a use must be a JSON object")
            chunk.append(use)
            if len(chunk) >= batch_rows:
                yield from table_of_uses(chunk).to_batches()
                chunk = []
    if chunk:
        yield from table_of_uses(chunk).to_batches()


def rows_in(path: str | Path) -> int:
    """How many rows a Parquet file holds (from its footer); 0 when not known."""
    if format_of(path) == "parquet":
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except (OSError, pa.ArrowInvalid):
            return 0
    return 0


# ------------------------------------------------------------------ writing


def with_decisions(batch: pa.RecordBatch, result: pa.RecordBatch) -> pa.RecordBatch:
    """The input batch's columns, then the decision columns."""
    clash = [name for name in ADDED if name in batch.schema.names]
    if clash:
        raise ManifestError(f"the manifest already has a `{clash[0]}` column, which is added")
    arrays = list(batch.columns) + [result.column(name) for name in ADDED]
    names = list(batch.schema.names) + list(ADDED)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _text_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A row for CSV or JSON Lines: payments and totals as text, money as decimal text."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name == "payments":
            value = "; ".join(
                f"{p['payee']} {_money(p['amount'], p['currency'])} {p['currency']}"
                for p in value or ()
            )
        elif name == "totals":
            value = "; ".join(
                f"{_money(t['amount'], t['currency'])} {t['currency']}" for t in value or ()
            )
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, list | dict):
            value = json.dumps(value, default=str, ensure_ascii=False)
        elif value is not None and not isinstance(value, str | int | float | bool):
            value = str(value)
        out[name] = value
    return out


def parquet_writer(path: str | Path, schema: pa.Schema) -> pq.ParquetWriter:
    """The writer of a decided Parquet file (`clausula filter`, `benchmarks/table.py`):
    column statistics (min and max, for readers that skip row groups) on the flat
    columns only. Those of the payments' and totals' nested fields (the least and the
    greatest payee of a row group) serve no filter, and cost a fifth of writing a
    decided table. Every column is dictionary-encoded but the use id: the decision, the
    rules, the version and the currencies repeat from row to row, while ids do not (each
    row's own, they only filled a dictionary to throw it away: a sixth of the writing)."""
    flat = [item.name for item in schema if not pa.types.is_nested(item.type)]
    repeating = [leaf for leaf in _leaf_paths(schema) if leaf.split(".", 1)[0] != "id"]
    return pq.ParquetWriter(path, schema, write_statistics=flat, use_dictionary=repeating)


def _leaf_paths(schema: pa.Schema) -> list[str]:
    """The Parquet paths of the schema's leaf columns (`payments.list.element.payee`), as
    Parquet's own writer names them: read back from an empty file of the schema."""
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    written = pq.ParquetFile(pa.BufferReader(sink.getvalue())).schema
    return [written.column(i).path for i in range(len(written))]


class _Writer:
    """Writes decided batches to Parquet, CSV or JSON Lines."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.kind = format_of(path)
        self.parquet: pq.ParquetWriter | None = None
        self.file: IO[str] | None = None
        self.csv: Any = None
        self.schema: pa.Schema | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.schema is None:
            self.schema = batch.schema
        elif batch.schema != self.schema:
            batch = _aligned(batch, self.schema)
        try:
            if self.kind == "parquet":
                if self.parquet is None:
                    self.parquet = parquet_writer(self.path, batch.schema)
                self.parquet.write_batch(batch)
                return
            if self.file is None:
                self.file = self.path.open("w", encoding="utf-8", newline="")
            rows = [_text_cells(r) for r in batch.to_pylist()]
            if self.kind == "jsonl":
                for row in rows:
                    self.file.write(json.dumps(row, ensure_ascii=False) + "\n")
                return
            if self.csv is None:
                self.csv = csv.DictWriter(self.file, batch.schema.names, lineterminator="\n")
                self.csv.writeheader()
            self.csv.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
        except OSError as error:
            raise ManifestError(f"cannot write {self.path}: {error.strerror}") from None

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        if self.file is not None:
            self.file.close()


def _aligned(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A later batch with the first batch's columns (a JSON Lines file's later uses may
    leave out a field, or give one the first uses did not have)."""
    extra = [name for name in batch.schema.names if name not in schema.names]
    if extra:
        raise ManifestError(
            f"a use past the first {BATCH_ROWS:,} has the field `{extra[0]}`, which none "
            "before it has: give every use the same fields (null where there is none)"
        )
    arrays = []
    for item in schema:
        index = batch.schema.get_field_index(item.name)
        column = batch.column(index) if index >= 0 else pa.nulls(batch.num_rows, item.type)
        try:
            arrays.append(column if column.type == item.type else pc.cast(column, item.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ManifestError(
                f"the column `{item.name}` changes type within the file ({item.type} first, "
                f"then {column.type})"
            ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def filter_table(
    policies: PolicySet | LoadedPolicy,
    manifest: str | Path,
    out: str | Path,
    *,
    template: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
    workers: int | None = None,
) -> TableSummary:
    """Decide every row of a Parquet or JSON Lines manifest and write it, with its
    decision columns, to `out` (Parquet, CSV or JSON Lines, by suffix), a batch at a time.

    A row that makes no valid use gets decision `error` and its problems (each field by
    its JSON Pointer) in `error`; the run goes on. Raises `ManifestError` when a file
    cannot be read or written at all. `workers`: threads deciding batches side by side
    (`decide_batches`); the next batches are read, and the results written, meanwhile.
    """
    summary = TableSummary(policy_version=_version(policies))
    total = rows_in(manifest)
    writer = _Writer(out)
    inputs: list[pa.RecordBatch] = []

    def remembered() -> Iterator[pa.RecordBatch]:
        for batch in read_batches(manifest, batch_rows=batch_rows):
            inputs.append(batch)
            yield batch

    try:
        for result in decide_batches(policies, remembered(), template=template, workers=workers):
            batch = inputs.pop(0)
            writer.write(with_decisions(batch, result))
            summary.add(result)
            if progress is not None:
                progress(summary.rows, total)
    finally:
        writer.close()
    if summary.rows == 0 and writer.kind == "parquet" and writer.parquet is None:
        pq.write_table(pa.table({n: pa.array([], f.type) for n, f in _empty()}), out)
    return summary


def _empty() -> list[tuple[str, pa.Field]]:
    return [(f.name, f) for f in result_schema()]


def _version(policies: PolicySet | LoadedPolicy) -> str:
    policy = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
    return policy.version


__all__ = [
    "BATCH_ROWS",
    "TableSummary",
    "filter_table",
    "format_of",
    "read_batches",
    "rows_in",
    "with_decisions",
]
