"""Deciding a table of uses: Apache Arrow in, Apache Arrow out, one result row per use.

SIMPLE VERSION, to be replaced at merge by the columnar `decide_table` of branch
`columnar` (issue 15, items 1-3), which keeps this interface exactly: `decide_table`,
`decide_batches` and `result_schema`. This one builds each row's use and decides it with
`PolicySet.decide`, row by row: correct, and the reference the distributed runners
(`clausula.spark`, `clausula.dask`) are tested against, but not fast.

Input: one column per field of a use, each optional (the `template` gives what the
columns do not): `id`, `date` (date32 or `YYYY-MM-DD`), `licensee`, `purpose`,
`territory`, `context`/`works`/`artists` (list<string>), `attribution` (map<string,
string>), `revenue` (a decimal string or decimal128) with `currency`, `generations`,
`streams`, `commercial` (bool), `output` (struct of booleans), `facts` (a struct, a
map<string, string> or JSON text). A null cell leaves the template's value.

Output, row-aligned with the input: `id`, `decision` (`allow`, `pay`, `deny`, or `error`
when the row makes no valid use), `payments` (list of payee, amount as decimal128(38, 6),
currency, rule), `totals` (list of amount, currency), `reason_rule` and `reason_source`
(the first denying reason, for `deny`), `error` (each bad field with its JSON Pointer) and
`policy_version`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from .kinds import DENYING
from .models import Decision
from .money import minor_unit
from .use_input import UseError

if TYPE_CHECKING:
    from .batch import LoadedPolicy
    from .policy_set import PolicySet

AMOUNT_TYPE = pa.decimal128(38, 6)
"""Money in a result: 6 decimals hold the minor unit of every ISO 4217 currency (at most 4)."""

_PAYMENT = pa.struct(
    [
        ("payee", pa.string()),
        ("amount", AMOUNT_TYPE),
        ("currency", pa.string()),
        ("rule", pa.string()),
    ]
)
_TOTAL = pa.struct([("amount", AMOUNT_TYPE), ("currency", pa.string())])
_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("decision", pa.string()),
        ("payments", pa.list_(_PAYMENT)),
        ("totals", pa.list_(_TOTAL)),
        ("reason_rule", pa.string()),
        ("reason_source", pa.string()),
        ("error", pa.string()),
        ("policy_version", pa.string()),
    ]
)
_SCALARS = ("id", "licensee", "purpose", "territory", "commercial", "output")
_LISTS = ("works", "artists", "context")


def result_schema() -> pa.Schema:
    """The Arrow schema of what `decide_table` and `decide_batches` return."""
    return _SCHEMA


def decide_table(
    policies: PolicySet | LoadedPolicy,
    table: pa.Table | Iterable[pa.RecordBatch],
    *,
    template: Mapping[str, Any] | None = None,
) -> pa.Table:
    """Decide every row of `table` (or of the record batches); a table of `result_schema`,
    row for row in the same order."""
    batches = table.to_batches() if isinstance(table, pa.Table) else table
    return pa.Table.from_batches(
        list(decide_batches(policies, batches, template=template)), schema=_SCHEMA
    )


def decide_batches(
    policies: PolicySet | LoadedPolicy,
    batches: Iterable[pa.RecordBatch],
    *,
    template: Mapping[str, Any] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Decide record batches as they come: one result batch per input batch, streamed."""
    policy_set = cast("PolicySet", getattr(policies, "policy_set", policies))
    fixed = dict(template or {})
    for batch in batches:
        rows = [
            _row(policy_set, _use_of(fixed, values), values.get("id"))
            for values in batch.to_pylist()
        ]
        yield pa.RecordBatch.from_pylist(rows, schema=_SCHEMA)


def _use_of(template: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The use a row makes: the template, with each non-null cell in place of its field."""
    use = dict(template)
    metrics = dict(use.get("metrics") or {})
    for name, value in values.items():
        if value is None:
            continue
        if name == "output" and isinstance(value, dict):  # a struct: the flags given
            use["output"] = {k: v for k, v in value.items() if v is not None}
        elif name in _SCALARS or name in _LISTS:
            use[name] = value
        elif name == "date":
            use["date"] = value.isoformat() if isinstance(value, dt.date) else value
        elif name == "attribution":
            use["attribution"] = dict(value) if isinstance(value, list) else value
        elif name in ("generations", "streams"):
            metrics[name] = value
        elif name == "facts":
            use["facts"] = _facts(value)
    revenue = values.get("revenue")
    if revenue is not None:
        currency = values.get("currency") or (metrics.get("revenue") or {}).get("currency")
        metrics["revenue"] = {"amount": _amount(revenue, currency), "currency": currency}
    if metrics:
        use["metrics"] = metrics
    return use


def _amount(value: object, currency: object) -> object:
    """A decimal128 cell written at its currency's minor unit when it holds no more (the
    column's scale, e.g. 1200.000000, is not the amount's); anything else as given, for
    the use's own check to judge."""
    if isinstance(value, Decimal) and isinstance(currency, str) and len(currency) == 3:
        try:
            unit = minor_unit(currency)
            if value == value.quantize(unit):
                return str(value.quantize(unit))
        except ArithmeticError:
            pass
        return str(value)
    return value


def _facts(value: object) -> object:
    if isinstance(value, str):
        try:
            return json.loads(value, parse_float=Decimal)
        except ValueError:
            return value  # the use's check says the facts are not a mapping
    if isinstance(value, list):  # a map column: (key, value) pairs
        return dict(value)
    if isinstance(value, dict):  # a struct column: the facts given on this row
        return {k: v for k, v in value.items() if v is not None}
    return value


def _row(policy_set: PolicySet, use: dict[str, Any], row_id: object) -> dict[str, Any]:
    try:
        decision = policy_set.decide(use)
    except UseError as error:
        return {
            "id": row_id if isinstance(row_id, str) else None,
            "decision": "error",
            "payments": [],
            "totals": [],
            "reason_rule": None,
            "reason_source": None,
            "error": "; ".join(str(p) for p in error.problems),
            "policy_version": policy_set.version,
        }
    rule, source = _denying_reason(decision)
    return {
        "id": decision.id,
        "decision": decision.decision,
        "payments": [
            {"payee": p.payee, "amount": p.amount, "currency": p.currency, "rule": p.rule}
            for p in decision.payments
        ],
        "totals": [{"amount": t.amount, "currency": t.currency} for t in decision.totals],
        "reason_rule": rule,
        "reason_source": source,
        "error": None,
        "policy_version": decision.policy.version,
    }


def _denying_reason(decision: Decision) -> tuple[str | None, str | None]:
    """The first reason that denies (as `clausula filter` reports it); none unless denied."""
    if decision.decision != "deny":
        return None, None
    for reason in decision.reasons:
        if reason.effect in DENYING:
            return reason.rule, reason.source
    if decision.reasons:
        return decision.reasons[0].rule, decision.reasons[0].source
    return None, None
