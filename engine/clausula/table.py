"""Columnar decisions: an Arrow table of uses in, an Arrow table of decisions out.

`decide_table(policies, table)` decides every row of a table of uses (one column per use
field) and returns one row per input row, in the same order, with the columns of
`result_schema()`. The answer for each row is the one `PolicySet.decide` gives for the
use the row makes (the shared case corpus and a property test check it row for row).

How it gets there without a Python loop per row:

0. Rows of one work of the data set, no attribution and no artists or one (a manifest's
   usual row), and rows of no work and one artist (a usage log's: "generated in this
   artist's voice"), are placed in their class of the batch core by arrays (`clausula.batch.columnar`:
   the class key in NumPy, each class decided once by the core, payments given to each
   row's own payees); `TableDecider.stats` counts them. The other rows go on as follows.
1. The columns that make a use's *shape* (everything but its id and metrics) are
   dictionary-encoded and combined into one integer key per row (NumPy); rows with the
   same key make the same use but for id and metrics. Each distinct shape is validated
   once (`parse_use`, with the policy set's vocabulary).
2. The shape key and the metrics (revenue, currency, generations, streams) give a second
   key; each distinct (shape, metrics) is decided once by the batch core
   (`BatchEvaluator.evaluate`), which groups shapes into classes proven to decide alike,
   plans each class once and prices each distinct use.
3. The answers are laid out as Arrow arrays, one entry per distinct key, and gathered to
   the rows with one `take` per column.

A row that makes no valid use gets decision `error` and, in `error`, every problem with
the JSON Pointer of its field (as `UseError` gives it, without the use id, which is in
the `id` column). Rows whose id is longer than the limit, and every row when the policy
reads `use.id`, are decided one at a time with `PolicySet.decide`.

Input columns (absent ones, and null cells, take the `template`'s value):

| column | type | use field |
|---|---|---|
| `id` | string | `id` |
| `date` | date32 or `YYYY-MM-DD` string | `date` |
| `licensee`, `purpose`, `territory` | string | the field |
| `works`, `artists`, `context` | list<string> | the list |
| `work` (when there is no `works`) | string | `works: [work]` |
| `attribution` | map<string, decimal or decimal string> | `attribution` |
| `commercial` | bool | `commercial` |
| `output` (struct of bools) or `output.<flag>` | bool | `output.<flag>` |
| `facts` (struct) or `facts.<name>` | any scalar | `facts.<name>` |
| `revenue` | decimal128 or decimal string | `metrics.revenue.amount` |
| `currency` | string | `metrics.revenue.currency` |
| `generations`, `streams` | integer | `metrics.<count>` |

Other columns are ignored. Text may also come as `large_string`, `string_view` or a
dictionary of strings (Polars' categoricals), and lists as large lists: the same values,
read as plain strings and lists (`_plain`), on the same path.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import TypeAdapter, ValidationError

from .batch import LoadedPolicy, ShapeTable, UseColumns
from .batch import Outcome as _Outcome
from .batch.columnar import MAX_SLOTS, CatalogueArrays, ClassKeys, catalogue_arrays
from .batch.evaluator import kept_evaluator
from .batch.key_groups import grouped, numbered
from .collector import collector_paused
from .errors import ClausulaError
from .identifiers import PARTY_SCHEMES, WORK_SCHEMES, id_problem
from .limits import MAX_ARTISTS, MAX_COUNT, MAX_ID_CHARS, MAX_WORKS
from .models import Use
from .plain_use import plain_money
from .policy_set import PolicySet
from .pricing import outcome_of_decision, rounding_reads_payees
from .table_threads import in_order, workers_of
from .use_input import UseError, parse_use

#: Rows decided together: a table's record batches are cut (or joined) to at most this
#: many rows, which bounds the memory one step of `decide_batches` holds.
MAX_BATCH_ROWS = 1 << 20

_MONEY = pa.decimal128(38, 6)
_PAYMENT = pa.struct(
    [("payee", pa.string()), ("amount", _MONEY), ("currency", pa.string()), ("rule", pa.string())]
)
_TOTAL = pa.struct([("amount", _MONEY), ("currency", pa.string())])
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
_SCALARS = ("date", "licensee", "purpose", "territory", "commercial")
_LISTS = ("works", "artists", "context")
_FLAGS = ("synthetic_audio", "digital_replica", "public", "names_artist", "labelled_ai")
# A frame is validated with this date in place of its own, which is validated alone (as
# the `Use.date` field validates it) and set on the frame.
_STAND_IN_DATE = "2000-01-01"
_DATE: TypeAdapter[dt.date] = TypeAdapter(dt.date)
_PARTS = ("works", "artists", "attribution")  # what a shape adds to its frame
_METRICS = ("revenue", "currency", "generations", "streams")
_OTHER_USE_COLUMNS = frozenset(("id", "work", "output", "facts", "attribution", *_METRICS))
_NOT_FRAME = frozenset((*_PARTS, "date", *_METRICS))  # what a frame leaves to its rows
_SEPARATOR = "\x1f"  # joins a list's items into one key; rows with it in an item go alone
_KEY_BOUND = 1 << 62  # combined keys are renumbered before they could pass int64
_EPOCH = dt.date(1970, 1, 1)
# A class (or class and metrics) not yet decided; how it is decided: the row path, by its
# metrics, each row priced with its own payees.
_UNKNOWN, _BY_ROWS, _BY_METRICS, _BY_ROW = -3, -1, -2, -4
_ANSWERS_KEPT = 1 << 18  # answers kept from batch to batch before they are forgotten
_DECIDERS_KEPT = 8  # templates whose deciders a thread keeps
_FRAMES_KEPT = 1 << 16  # (frame, day) placements kept from batch to batch
_VERSIONS_KEPT = 1 << 18  # rows of the version column a decider keeps to slice from
_FIRST_DAY = (dt.date(1, 1, 1) - _EPOCH).days
_NO_DAY = _FIRST_DAY - 1  # a cell that is not a plain date
_PLAIN_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PLAIN_AMOUNT = r"^[0-9]{1,15}(\.[0-9]{1,30})?$"  # below `MAX_AMOUNT` (10^15) by its digits
_COMPACT_ISRC = r"^isrc:[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"

# One row's answer: decision, payments, totals, first denying (rule, source), error.
_Answer = tuple[
    str,
    tuple[tuple[str, Decimal, str, str], ...],
    tuple[tuple[str, Decimal], ...],
    tuple[str | None, str | None],
    str | None,
]


def result_schema() -> pa.Schema:
    """The schema of `decide_table`'s result (and of each batch of `decide_batches`)."""
    return _SCHEMA


class TableError(ClausulaError, ValueError):
    """A table whose columns cannot be read as uses (a row's own problems are its `error`)."""


def decide_table(
    policies: PolicySet | LoadedPolicy,
    table: pa.Table | Iterable[pa.RecordBatch],
    *,
    template: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> pa.Table:
    """Decide every row of `table` (an Arrow table, or record batches) as a use.

    Returns a table with the columns of `result_schema()`, row-aligned with the input.
    `template` holds use fields (`{"licensee": "party:aria-labs", "purpose": "training"}`)
    for columns the table does not have and for its null cells. A `PolicySet` from
    `clausula.load` (or the `LoadedPolicy` of `clausula.batch.load_files`) groups rows
    into the batch core's classes; one loaded with a consent `ledger` decides each
    distinct use with `PolicySet.decide`. `workers`: threads deciding record batches side
    by side (see `decide_batches`).
    """
    batches = table.to_batches() if isinstance(table, pa.Table) else table
    return pa.Table.from_batches(
        list(decide_batches(policies, batches, template=template, workers=workers)),
        schema=_SCHEMA,
    )


def decide_batches(
    policies: PolicySet | LoadedPolicy,
    batches: Iterable[pa.RecordBatch],
    *,
    template: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """Decide a stream of record batches, one result batch per input batch (as long, in
    the same order). What the batch core learnt is kept from batch to batch, so a stream
    costs what its distinct uses cost; memory is bounded by `MAX_BATCH_ROWS` rows per
    batch in flight.

    `workers` threads (default `table_threads.DEFAULT_WORKERS`: two on a machine of two
    cores or more; at most `table_threads.MAX_WORKERS`) decide batches side by side, each
    with its own batch core; the results are the same, byte for byte, whatever their
    number. Inside a Spark or Dask task, where the cluster already fills the cores, pass
    1. Raises `ValueError` for a number of workers out of range."""
    count = workers_of(workers)
    if count == 1:
        return _decide_each(policies, template, batches)

    def make_decide() -> Callable[[pa.RecordBatch], pa.RecordBatch]:
        decider = kept_decider(policies, template)  # on the worker: its thread's own
        return lambda batch: _decide_one(policies, template, decider, batch)

    return in_order(make_decide, batches, count)


def kept_decider(
    policies: PolicySet | LoadedPolicy, template: Mapping[str, Any] | None = None
) -> TableDecider:
    """This thread's `TableDecider` for the policy set and template, made on first use and
    then kept with the set (`PolicySet._per_thread`, beside the thread's batch core), so
    that the class keys and answers one table learnt serve the next table. At most
    `_DECIDERS_KEPT` templates are kept per thread; each decider bounds its own memory
    (`_ANSWERS_KEPT`, `columnar.MAX_EXTRA_ARTISTS`)."""
    deciders = _kept_deciders(policies)
    key = _template_key(template)
    decider = deciders.get(key)
    if decider is None:
        if len(deciders) >= _DECIDERS_KEPT:
            deciders.clear()
        decider = deciders[key] = TableDecider(policies, template)
    return decider


def _forget_decider(policies: PolicySet | LoadedPolicy, template: Mapping[str, Any] | None) -> None:
    _kept_deciders(policies).pop(_template_key(template), None)


def _kept_deciders(policies: PolicySet | LoadedPolicy) -> dict[str, TableDecider]:
    """This thread's deciders of the policy set, by template."""
    policy_set = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
    kept = policy_set._per_thread
    deciders: dict[str, TableDecider] | None = getattr(kept, "table_deciders", None)
    if deciders is None:
        deciders = kept.table_deciders = {}
    return deciders


def _template_key(template: Mapping[str, Any] | None) -> str:
    # `repr` for what JSON has no type of (dates, decimals): equal keys, equal templates.
    return json.dumps(dict(template or {}), sort_keys=True, default=repr)


def _decide_each(
    policies: PolicySet | LoadedPolicy,
    template: Mapping[str, Any] | None,
    batches: Iterable[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    decider = kept_decider(policies, template)
    for batch in batches:
        yield _decide_one(policies, template, decider, batch)


def _decide_one(
    policies: PolicySet | LoadedPolicy,
    template: Mapping[str, Any] | None,
    decider: TableDecider,
    batch: pa.RecordBatch,
) -> pa.RecordBatch:
    """One batch's results (a batch over `MAX_BATCH_ROWS` rows decided in slices). A
    decider a batch failed in is not kept: what it learnt halfway is not trusted."""
    try:
        if batch.num_rows <= MAX_BATCH_ROWS:
            return decider.decide(batch)
        parts = [
            decider.decide(batch.slice(start, MAX_BATCH_ROWS))
            for start in range(0, batch.num_rows, MAX_BATCH_ROWS)
        ]
    except BaseException:
        _forget_decider(policies, template)
        raise
    return pa.Table.from_batches(parts, schema=_SCHEMA).combine_chunks().to_batches()[0]


class TableDecider:
    """Decides record batches against one policy set, keeping the batch core's classes
    from batch to batch. Not thread-safe (one per thread or process)."""

    def __init__(
        self, policies: PolicySet | LoadedPolicy, template: Mapping[str, Any] | None = None
    ) -> None:
        self.policy_set = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
        # The thread's core, kept with the policy set: its classes and date boundaries
        # serve every table decided here, not only this one.
        self.evaluator = kept_evaluator(policies)
        self.template = _template(template or {})
        self.version = self.policy_set.version
        self._versions = pa.array([], pa.string())  # the version repeated, sliced per batch
        self._ids: dict[tuple[str, str], bool] = {}  # (column, id) → whether it is invalid
        self._dates: dict[Any, dt.date | None] = {}  # a date cell → the date (None: invalid)
        # The array path: class keys (False: not for this policy set), the data set's works.
        self._keys: ClassKeys | bool | None = None
        self._boundary_days = np.zeros(0, dtype=np.int64)
        self._arrays: CatalogueArrays | None = None
        self._work_validity: tuple[CatalogueArrays, np.ndarray[Any, Any]] | None = None
        # (frame's fields as JSON, period, day or None) → its use, the core's frame number
        # and signing row.
        self._framed: dict[tuple[str, int, int | None], tuple[Use, int, int]] = {}
        # A frame's cells (`_cells_key`) → its use dict as JSON and its use (`_bare_frame`).
        self._bare: dict[tuple[Any, ...], tuple[str, Use | None]] = {}
        self._found: list[tuple[_Answer, tuple[Any, ...]]] = []  # answers of classes
        self._class_state: dict[tuple[int, ...], int] = {}  # class → answer, or _BY_*
        # (class, metrics) → (answer or _BY_*, the core's metrics when _BY_ROW)
        self._metric_state: dict[tuple[Any, ...], tuple[int, Any]] = {}
        self._placed: dict[tuple[int, ...], Any] = {}  # class paid by metrics → its placing
        #: Rows decided by the array path and by the row path (`_decide_rows`); of the
        #: first, those priced by the core with their own payees (`_priced_rows`).
        self.stats = {"by_arrays": 0, "by_rows": 0, "priced_alone": 0}

    # ------------------------------------------------------------------ one batch
    def decide(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The result rows of one batch of uses: the rows the array path can place (one
        work or none, at most one artist, no attribution or unusual cells) by arrays, the
        others by `_decide_rows`; back in the batch's order."""
        # Deciding only allocates (the core's memories grow, nothing cyclic is left): the
        # cyclic collector would walk those memories again and again for nothing.
        with collector_paused():
            return self._decide(batch)

    def _decide(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        batch = _plain_batch(batch)
        placed = self._by_arrays(batch)
        if placed is None:
            self.stats["by_rows"] += batch.num_rows
            return self._decide_rows(batch)
        mask, done = placed
        self.stats["by_arrays"] += len(done)
        self.stats["by_rows"] += batch.num_rows - len(done)
        if mask.all():
            return done
        n = batch.num_rows
        rest = self._decide_rows(batch.filter(pa.array(~mask)))
        order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n, dtype=np.int64)
        merged = pa.Table.from_batches([done, rest], schema=_SCHEMA).combine_chunks()
        return merged.take(pa.array(inverse)).combine_chunks().to_batches()[0]

    def _decide_rows(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The result rows of a batch, each distinct use placed in its class by the core."""
        n = batch.num_rows
        columns = _columns(batch, self.template)
        ids = _string_column(batch, "id", n)
        alone = np.zeros(n, dtype=bool)  # rows decided one at a time, with their id
        if self.evaluator.analysis.reads_id:
            alone[:] = True
        else:
            lengths = pc.fill_null(pc.utf8_length(ids), 0).to_numpy(zero_copy_only=False)
            alone |= lengths > MAX_ID_CHARS
        # Frames without their date (validated once per distinct date, then set on the
        # frame: a manifest's dates are many, its other fields few).
        frame_key, odd = _shape_key(columns, n, skip=(*_PARTS, "date"))
        date_codes, date_count = (
            _codes(_whole(columns["date"]))
            if "date" in columns
            else (np.zeros(n, dtype=np.int64), 1)
        )
        shape_key, bound = frame_key, int(frame_key.max()) + 1 if n else 1
        shape_key, bound = _combine(shape_key, bound, date_codes, date_count)
        for name in _PARTS:
            column = columns.get(name)
            if column is None:
                continue
            column = _whole(column)
            if pa.types.is_list(column.type) or pa.types.is_map(column.type):
                parts, rows = _list_codes(column)
                odd |= rows
            else:  # all null (the template's), or not a list: the use's own error says so
                try:
                    text = column if pa.types.is_null(column.type) else pc.cast(column, pa.string())
                    parts = [_codes(text)]
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    parts = [(np.arange(n, dtype=np.int64), max(n, 1))]
                odd |= ~np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)
            for codes, size in parts:
                shape_key, bound = _combine(shape_key, bound, codes, size)
        odd |= self._bad_ids(columns, n)
        key = shape_key
        for name in ("revenue", "currency", "generations", "streams"):
            codes, size = _codes(columns[name])
            key, bound = _combine(key, bound, codes, size)
        # Rows decided alone get keys of their own, after every other.
        if alone.any():
            key = key.copy()
            key[alone] = bound + np.flatnonzero(alone)
        _, first, inverse = grouped(key)
        answers = self._answers(
            columns, ids, frame_key, date_codes, shape_key, first, alone | odd, alone
        )
        return self._result(ids, answers, inverse.reshape(-1))

    # ------------------------------------------------------------------ the array path
    def _by_arrays(
        self, batch: pa.RecordBatch
    ) -> tuple[np.ndarray[Any, Any], pa.RecordBatch] | None:
        """The rows of `batch` whose class is computed as arrays, and their result rows (in
        the batch's order); None when there are none.

        A row qualifies when its use is one valid work of the data set and at most one
        valid artist id in `artists`, or no work and one valid artist id; no attribution, a
        plain date, integer counts and a plain decimal revenue; its id is not read by the
        clauses nor over the limit. Its class key comes from
        `clausula.batch.columnar`; each class's answer from the core (`evaluate` on one
        row of the class; when payments depend on the metrics, `BatchEvaluator.priced`
        once per distinct metrics, or per row: `_priced_rows`), with the payees of each
        row put in the places the core's layout gives them."""
        n = batch.num_rows
        evaluator = self.evaluator
        if (
            not n
            or self._keys is False
            or evaluator.analysis.reads_id
            or not evaluator.analysis.groups_without_metrics
            or any(name in self.template for name in (*_PARTS, "date", *_METRICS))
        ):
            return None
        if self._keys is None:
            arrays = self._arrays = catalogue_arrays(evaluator)
            self._keys = False if arrays is None else ClassKeys(evaluator, arrays)
            if arrays is not None:
                self._boundary_days = np.array(
                    [(d - _EPOCH).days for d in evaluator._boundaries or ()], dtype=np.int64
                )
        keys = self._keys
        if keys is False or keys is True:
            return None
        if len(self._found) > _ANSWERS_KEPT:  # memory stays bounded on a long stream
            self._found, self._class_state, self._metric_state = [], {}, {}
            self._placed = {}
        columns = _columns(batch, self.template)
        mask = np.ones(n, dtype=bool)
        ids = _string_column(batch, "id", n)
        lengths = pc.fill_null(pc.utf8_length(ids), 0).to_numpy(zero_copy_only=False)
        mask &= lengths <= MAX_ID_CHARS
        # One work, or none (then one artist: below), and no attribution.
        works: pa.Array | None = columns.get("works")
        if works is not None and pa.types.is_null(works.type):
            works = None
        if works is None:
            work_count = np.zeros(n, dtype=np.int64)
        else:
            works = _whole(works)
            if not pa.types.is_list(works.type) or not pa.types.is_string(works.type.value_type):
                return None
            work_count = pc.fill_null(pc.list_value_length(works), 0).to_numpy(zero_copy_only=False)
        mask &= work_count <= 1
        no_work = work_count == 0
        column = columns.get("attribution")
        if column is not None and not pa.types.is_null(column.type):
            column = _whole(column)
            if not (pa.types.is_list(column.type) or pa.types.is_map(column.type)):
                return None
            mask &= (np.diff(column.offsets.to_numpy()) == 0) | _null_mask(column)
        if not mask.any():
            return None
        arrays = keys.arrays
        if not len(arrays.work_ids):  # a data set of no works: only rows of no work
            mask &= no_work
        # No artists, or one of the data set's artists or parties (the others: rows); a
        # row of no work names one.
        named = np.full(n, -1, dtype=np.int64)
        column = columns.get("artists")
        if column is not None and not pa.types.is_null(column.type):
            column = _whole(column)
            if not pa.types.is_list(column.type) or not pa.types.is_string(column.type.value_type):
                return None
            size = np.diff(column.offsets.to_numpy()) * ~_null_mask(column)
            mask &= size <= 1
            one = np.flatnonzero(mask & (size == 1))
            if len(one):
                text = column.values.take(pa.array(column.offsets.to_numpy()[one]))
                valid = np.flatnonzero(~self._invalid_ids(text, "artists", PARTY_SCHEMES))
                named[one[valid]] = keys.artists(text.take(pa.array(valid)))
                mask[one[named[one] < 0]] = False
        mask &= ~no_work | (named >= 0)
        if not mask.any():
            return None
        # Each row's work (-1: none), and its id as the row gives it (null: none).
        work = np.full(n, -1, dtype=np.int64)
        work_text = pa.nulls(n, pa.string())
        values = works.values if works is not None else None
        if works is not None and values is not None and len(values) and len(arrays.work_ids):
            offsets = works.offsets.to_numpy()[:-1]
            work_text = values.take(pa.array(np.minimum(offsets, len(values) - 1)))
            one = ~no_work & ~_null_mask(work_text)
            work = np.where(one, arrays.work_index.positions(work_text), -1)
            if no_work.any():
                work_text = pc.if_else(pa.array(one), work_text, pa.nulls(n, pa.string()))
            valid = self._valid_works(arrays, work)
            mask &= no_work | valid
            mask &= no_work | (arrays.count[np.maximum(work, 0)] <= MAX_SLOTS)
        else:
            mask &= no_work
        # A plain date: a date32 cell, or `YYYY-MM-DD` text that is a real day.
        days = self._days(columns.get("date"), n)
        if days is None:
            return None
        mask &= days > _NO_DAY
        # Counts and revenue (checked as the core checks them, per kind of text).
        metrics_ok = self._plain_metrics(columns, n)
        if metrics_ok is None:
            return None
        mask &= metrics_ok
        # The frame (every other field) of each row: valid as the core validates it.
        frame_key, odd = _shape_key(columns, n, skip=(*_PARTS, "date"))
        mask &= ~odd
        if not mask.any():
            return None
        bucket = np.searchsorted(self._boundary_days, days, side="right")
        both = frame_key * (len(self._boundary_days) + 1) + bucket
        rows = np.flatnonzero(mask)
        distinct, first, inverse = grouped(both[rows])
        frame_number = np.empty(len(distinct), dtype=np.int64)
        signing = np.empty(len(distinct), dtype=np.int64)
        good = np.ones(len(distinct), dtype=bool)
        frame_uses: list[Use | None] = [None] * len(distinct)
        placements = self._framed
        dated = evaluator._records.dated_ledger is not None
        if len(placements) > _FRAMES_KEPT:  # memory stays bounded on a long stream
            placements.clear()
        firsts = rows[first].tolist()
        frames = frame_key[rows[first]].tolist()
        # Each frame's use once (a frame recurs in every period its rows fall in), from its
        # cells gathered a column at a time.
        frame_first: dict[int, int] = {}
        for f, position in zip(frames, firsts, strict=True):
            frame_first.setdefault(f, position)
        cells = self._frame_cells(columns, list(frame_first.values()))
        bare_of = {f: self._bare_frame(c) for f, c in zip(frame_first, cells, strict=True)}
        for k, (f, position) in enumerate(zip(frames, firsts, strict=True)):
            text, found = bare_of[f]
            if found is None:
                good[k] = False
                continue
            day = int(days[position])
            # A frame and period met in an earlier batch (and day, when the ledger answers
            # as of a day): its use, the core's frame and the row of its signing in the
            # tables (the core numbers both for good). The use is dated in the period, as
            # the first row of the period in this batch would have been.
            placed_at = (text, int(bucket[position]), day if dated else None)
            known = placements.get(placed_at)
            if known is None:
                use = found.model_copy(update={"date": _EPOCH + dt.timedelta(days=day)})
                frame = evaluator._frame(use)
                known = placements[placed_at] = (
                    use,
                    frame.number,
                    keys.signing(frame, evaluator._signing_of(use)),
                )
            frame_uses[k], frame_number[k], signing[k] = known
        inverse = inverse.reshape(-1)
        mask[rows[~good[inverse]]] = False
        keep = good[inverse]
        rows, inverse = rows[keep], inverse[keep]
        if not len(rows):
            return None
        class_key, parts, row_layout = keys.keys(
            frame_number[inverse], signing[inverse], work[rows], days[rows], named[rows]
        )
        # Each row's artists in the core's layout order (indexes of `keys.artist_ids`).
        layout = np.full((n, MAX_SLOTS + 1), -1, dtype=np.int64)
        layout[rows] = row_layout
        # The frame of each row, as a use (that of its frame's first row: a date of the same
        # period), and each row's own date, which a use deciding a class must have (the
        # core's class reads it where it falls among the artists' dates).
        frame_of = np.full(n, -1, dtype=np.int64)
        frame_of[rows] = inverse
        framed = (frame_uses, frame_of, days)
        answer_of, placed = self._class_answers(
            columns, rows, class_key, parts, (work, named, layout), framed
        )
        mask[:] = False
        mask[rows[placed]] = True
        rows, answer_of = rows[placed], answer_of[placed]
        if not len(rows):
            return None
        result = self._array_result(ids, rows, answer_of, work_text, layout, keys.artist_ids)
        return mask, result

    def _frame_cells(
        self, columns: Mapping[str, pa.Array], positions: list[int]
    ) -> list[dict[str, Any]]:
        """The cells that make a frame (every use column but the parts, the date and the
        metrics) of the rows at `positions`, one dict per row: one `take` per column
        rather than a cell at a time."""
        taken = pa.array(positions, pa.int64())
        names = [name for name in columns if name not in _NOT_FRAME]
        values = [columns[name].take(taken).to_pylist() for name in names]
        return [dict(zip(names, cells, strict=True)) for cells in zip(*values, strict=True)]

    def _bare_frame(self, cells: dict[str, Any]) -> tuple[str, Use | None]:
        """A frame's use dict as JSON and its use, dated `_STAND_IN_DATE` (None: not a
        valid use) — remembered from batch to batch by the frame's cells: a usage log's
        rows make the same few hundred frames (licensee, purpose, territory) batch after
        batch."""
        key = _cells_key(cells)
        known = self._bare.get(key) if key is not None else None
        if known is not None:
            return known
        bare = _use_dict(cells, self.template, None, metrics=False)
        bare["date"] = _STAND_IN_DATE
        text = json.dumps(bare, sort_keys=True, default=repr)
        try:
            made: tuple[str, Use | None] = (text, parse_use(bare, self.policy_set.vocabulary))
        except UseError:
            made = (text, None)
        if key is not None:
            if len(self._bare) > _FRAMES_KEPT:  # memory stays bounded on a long stream
                self._bare.clear()
            self._bare[key] = made
        return made

    def _class_answers(
        self,
        columns: dict[str, pa.Array],
        rows: np.ndarray[Any, Any],
        class_key: np.ndarray[Any, Any],
        parts: np.ndarray[Any, Any],
        placed_in: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]],
        framed: tuple[list[Use | None], np.ndarray[Any, Any], np.ndarray[Any, Any]],
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Each row's answer (an index into `self._found`, which gives each answer and where
        its payees come from), and which rows got one (the others take the row path).

        Each class is decided once, for one of its rows, by the core (and remembered from
        batch to batch); a class whose answer cannot depend on the metrics (denied, or no
        payee) gives it to every row. The other classes' rows are priced by
        `_priced_rows`. `placed_in`: each row's work, named artist (-1: none) and its
        layout's artists, by position in the batch."""
        arrays = self._arrays
        assert arrays is not None
        work, named, layout = placed_in
        found, states, placed_of = self._found, self._class_state, self._placed
        distinct, first, inverse = grouped(class_key)
        inverse = inverse.reshape(-1)
        names = [ClassKeys.name(parts[i]) for i in first.tolist()]
        state = np.array([states.get(name, _UNKNOWN) for name in names], dtype=np.int64)
        unknown = np.flatnonzero(state == _UNKNOWN)
        if len(unknown):
            picked = rows[first[unknown]]
            decided = self._decide_rows_by_core(columns, picked, work, named, framed)
            for k, position, (outcome, placed_as) in zip(
                unknown.tolist(), picked.tolist(), zip(*decided, strict=True), strict=True
            ):
                cls = placed_as[0] if placed_as is not None else None
                if outcome is None or cls is None or not cls.resolved:
                    verdict = _BY_ROWS  # the row path decides (and names any error)
                elif cls.denied or all(not plan.slots for plan in cls.plans):
                    if outcome.payments or outcome.decision == "error":
                        verdict = _BY_ROWS
                    else:
                        verdict = len(found)
                        found.append((_answer_of(outcome), ()))
                elif self._placed_as_arrays(placed_as, layout[position], work[position]):
                    verdict = _BY_METRICS
                    placed_of[names[k]] = placed_as
                else:  # the core's layout is not the arrays': its rows go one by one
                    verdict = _BY_ROWS
                state[k] = states[names[k]] = verdict
        answer_of = state[inverse]
        dependent = np.flatnonzero(answer_of == _BY_METRICS)
        if len(dependent):
            answer_of[dependent] = self._priced_rows(
                columns, rows[dependent], inverse[dependent], len(distinct), names, placed_in
            )
        return answer_of, answer_of >= 0

    def _placed_as_arrays(self, placed: Any, row_layout: np.ndarray[Any, Any], work: int) -> bool:
        """Whether the core's layout of a class's row is the one the arrays gave it (its
        artists in the same places, its work), so that the arrays' layout of every row of
        the class puts each payee in the core's place."""
        assert isinstance(self._keys, ClassKeys) and self._arrays is not None
        ids = self._keys.artist_ids
        core = placed[1]
        artists = tuple(ids[int(a)].as_py() for a in row_layout if a >= 0)
        works = (self._arrays.work_ids[work].as_py(),) if work >= 0 else ()
        return bool(core.artists == artists and core.works == works)

    def _priced_rows(
        self,
        columns: dict[str, pa.Array],
        positions: np.ndarray[Any, Any],
        classes: np.ndarray[Any, Any],
        class_count: int,
        names: list[tuple[int, ...]],
        placed_in: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]],
    ) -> np.ndarray[Any, Any]:
        """The answers of rows (at `positions`, of the classes `classes` index in `names`)
        whose classes pay by the metrics: each distinct (class, metrics) priced once by the
        core (`BatchEvaluator.priced`). Its answer is every such row's, each payee put in
        its place in the row, unless rounding split a sum between payees of one currency
        (the tie rule reads the payees): then, and for metrics met by one row, each row is
        priced by the core with its own payees. -1: the row path."""
        work, _, layout = placed_in
        found, known, placed_of = self._found, self._metric_state, self._placed
        key, bound = classes, class_count
        taken = pa.array(positions)
        cells = [_whole(columns[name]).take(taken) for name in _METRICS]
        for column in cells:
            codes, size = _codes(column)
            key, bound = _combine(key, bound, codes, size)
        _, first, inverse = grouped(key)
        inverse = inverse.reshape(-1)
        values = list(zip(*(c.take(pa.array(first)).to_pylist() for c in cells), strict=True))
        class_names = [names[int(classes[f])] for f in first.tolist()]
        metric_names = [
            (name, *map(str, value)) for name, value in zip(class_names, values, strict=True)
        ]
        state = np.array([known.get(m, (_UNKNOWN,))[0] for m in metric_names], dtype=np.int64)
        evaluator = self.evaluator
        alone = np.bincount(inverse, minlength=len(first)) == 1
        for k in np.flatnonzero(state == _UNKNOWN).tolist():
            name = metric_names[k]
            verdict: tuple[int, Any] = (_BY_ROWS, None)
            metrics = _checked_metrics(*values[k])  # no template here: `_by_arrays`
            placed = placed_of.get(class_names[k])
            if metrics is not None and placed is not None:
                revenue, currency, generations, streams = metrics
                priced = (revenue, generations, streams, _column_currency(currency))
                layout_of = placed[1]
                if alone[k]:  # one row: priced with its own payees (as any row may be)
                    state[k] = _BY_ROW
                    known[name] = (_BY_ROW, priced)
                    continue
                answer = evaluator.priced(placed, layout_of.artists, layout_of.works, *priced)
                slots = None if answer is None else _payee_slots(*answer, layout_of)
                if answer is not None and slots is not None:
                    verdict = (len(found), None)
                    found.append((_answer_of(answer[0]), slots))
                elif answer is not None:
                    verdict = (_BY_ROW, priced)
            state[k] = verdict[0]
            known[name] = verdict
        answers = state[inverse]
        # Rows priced one by one, each with its own payees (the core's layout, renamed).
        own = np.flatnonzero(answers == _BY_ROW)
        if len(own):
            at = positions[own]
            rows_layout = layout[at]
            used = np.unique(rows_layout[rows_layout >= 0])
            assert isinstance(self._keys, ClassKeys) and self._arrays is not None
            artist_of = dict(
                zip(
                    used.tolist(),
                    self._keys.artist_ids.take(pa.array(used)).to_pylist(),
                    strict=True,
                )
            )
            row_work = work[at]
            has_work = np.flatnonzero(row_work >= 0)
            work_of: list[str] = [""] * len(at)  # (read only where the row has a work)
            for i, w in zip(
                has_work.tolist(),
                self._arrays.work_ids.take(pa.array(row_work[has_work])).to_pylist(),
                strict=True,
            ):
                work_of[i] = w
            for i, (k, row_artists, w) in enumerate(
                zip(inverse[own].tolist(), rows_layout.tolist(), row_work.tolist(), strict=True)
            ):
                placed = placed_of[class_names[k]]
                answer = evaluator.priced(
                    placed,
                    tuple([artist_of[a] for a in row_artists if a >= 0]),
                    (work_of[i],) if w >= 0 else (),
                    *known[metric_names[k]][1],
                )
                if answer is None:
                    answers[own[i]] = _BY_ROWS
                else:
                    self.stats["priced_alone"] += 1
                    answers[own[i]] = len(found)
                    found.append((_answer_of(answer[0]), _fixed_payees(answer[0])))
        return answers

    def _decide_rows_by_core(
        self,
        columns: dict[str, pa.Array],
        picked: np.ndarray[Any, Any],
        work: np.ndarray[Any, Any],
        named: np.ndarray[Any, Any],
        framed: tuple[list[Use | None], np.ndarray[Any, Any], np.ndarray[Any, Any]],
    ) -> tuple[list[_Outcome | None], list[Any]]:
        """The core's outcome for each of these rows (None: the row path decides it), and
        the class the core placed it in. `framed`: the frames' uses (parsed once per frame
        and period) and each row's frame."""
        evaluator = self.evaluator
        frame_uses, frame_of, days = framed
        dated: dict[tuple[int, int], int] = {}  # (frame, day) → place in `frame_list`
        frame_list: list[Use] = []
        outcomes: list[_Outcome | None] = [None] * len(picked)
        classified: list[Any] = [None] * len(picked)
        frames: list[int] = []
        works: list[tuple[str, ...]] = []
        artists: list[tuple[str, ...]] = []
        groups: dict[str, tuple[list[int], list[int], list[Decimal | None], list[int], list[int]]]
        groups = {}
        assert self._arrays is not None
        assert isinstance(self._keys, ClassKeys)
        work_ids, artist_ids = self._arrays.work_ids, self._keys.artist_ids
        metric_columns = [(name, columns.get(name)) for name in _METRICS]
        for k, position in enumerate(picked.tolist()):
            metrics = self._metrics(
                {name: None if c is None else c[position].as_py() for name, c in metric_columns}
            )
            if metrics is None:
                continue
            f = int(frame_of[position])
            bare = frame_uses[f] if f >= 0 else None
            if bare is None:
                continue
            day = int(days[position])
            place = dated.get((f, day))
            if place is None:
                place = dated[(f, day)] = len(frame_list)
                frame_list.append(bare.model_copy(update={"date": _EPOCH + dt.timedelta(days=day)}))
            frames.append(place)
            w = int(work[position])
            works.append((work_ids[w].as_py(),) if w >= 0 else ())
            a = int(named[position])
            artists.append((artist_ids[a].as_py(),) if a >= 0 else ())
            revenue, currency, generations, streams = metrics
            group = groups.setdefault(currency, ([], [], [], [], []))
            group[0].append(k)
            group[1].append(len(frames) - 1)
            group[2].append(revenue)
            group[3].append(generations)
            group[4].append(streams)
        count = len(frames)
        shapes = ShapeTable(frame_list, frames, works, artists, [{}] * count)
        for currency, (ks, of_shape, revenues, gens, streams_) in groups.items():
            use_columns = UseColumns(
                shapes,
                np.array(of_shape, dtype=np.int64),
                revenues,
                np.array(gens, dtype=np.int64),
                np.array(streams_, dtype=np.int64),
                currency=_column_currency(currency),
            )
            results = evaluator.evaluate(use_columns)
            for k, s, outcome in zip(ks, of_shape, results, strict=True):
                outcomes[k] = outcome
                classified[k] = evaluator.class_of_shape(s)
        return outcomes, classified

    def _array_result(
        self,
        ids: pa.Array,
        rows: np.ndarray[Any, Any],
        answer_of: np.ndarray[Any, Any],
        work_text: pa.Array,
        layout: np.ndarray[Any, Any],
        artist_ids: pa.Array,
    ) -> pa.RecordBatch:
        """The result rows of `rows` (in order), each with answer `self._found[answer_of[i]]`
        and its payees taken from its own work (its id as the row gives it: the data set's
        byte for byte) and layout's artists (`layout`, by position in the batch)."""
        m = len(rows)
        used, answer_of = numbered(answer_of)
        answer_of = answer_of.reshape(-1)
        found = [self._found[i] for i in used.tolist()]
        answers = [answer for answer, _ in found]
        take = pa.array(answer_of)
        # Every payment line of every answer, then each row's lines gathered from them.
        sizes = np.array([len(a[1]) for a in answers], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)])[:-1]
        kinds = np.array([slot[0] for _, slots in found for slot in slots], dtype=np.int64)
        places = np.array(
            [slot[1] if slot[0] == 1 else 0 for _, slots in found for slot in slots],
            dtype=np.int64,
        )
        fixed = pa.array(
            [slot[1] if slot[0] == 0 else None for _, slots in found for slot in slots],
            pa.string(),
        )
        amounts = pa.array([p[1] for a in answers for p in a[1]], _MONEY)
        currencies = pa.array([p[2] for a in answers for p in a[1]], pa.string())
        rules = pa.array([p[3] for a in answers for p in a[1]], pa.string())
        row_sizes = sizes[answer_of]
        offsets = np.concatenate([[0], np.cumsum(row_sizes)])
        total = int(offsets[-1])
        line_row = np.repeat(np.arange(m, dtype=np.int64), row_sizes)
        line = np.repeat(starts[answer_of] - offsets[:-1], row_sizes) + np.arange(total)
        line_take = pa.array(line)
        if total:
            kind = kinds[line]
            line_position = rows[line_row]
            artist = layout[line_position, places[line]]
            payee = pc.if_else(
                pa.array(kind == 0),
                fixed.take(line_take),
                pc.if_else(
                    pa.array(kind == 1),
                    artist_ids.take(pa.array(np.maximum(artist, 0)))
                    if len(artist_ids)
                    else pa.nulls(total, pa.string()),
                    work_text.take(pa.array(line_position)),
                ),
            )
        else:
            payee = pa.array([], pa.string())
        lines = pa.StructArray.from_arrays(
            [payee, amounts.take(line_take), currencies.take(line_take), rules.take(line_take)],
            fields=list(_PAYMENT),
        )
        payments = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), lines)
        totals = pa.array(
            [[{"amount": amount, "currency": c} for c, amount in a[2]] for a in answers],
            pa.list_(_TOTAL),
        )
        return pa.RecordBatch.from_arrays(
            [
                ids if m == len(ids) else ids.take(pa.array(rows)),  # rows: ascending
                pa.array([a[0] for a in answers], pa.string()).take(take),
                payments.cast(pa.list_(_PAYMENT)),
                totals.take(take),
                pa.array([a[3][0] for a in answers], pa.string()).take(take),
                pa.array([a[3][1] for a in answers], pa.string()).take(take),
                pa.array([a[4] for a in answers], pa.string()).take(take),
                self._version_column(m),
            ],
            schema=_SCHEMA,
        )

    def _version_column(self, n: int) -> pa.Array:
        """The policy version `n` times: a slice of one column made for the longest batch
        (a batch's rows share its bytes rather than copy them)."""
        if n > _VERSIONS_KEPT:
            return pa.repeat(pa.scalar(self.version, pa.string()), n)
        if len(self._versions) < n:
            self._versions = pa.repeat(pa.scalar(self.version, pa.string()), n)
        return self._versions.slice(0, n)

    @staticmethod
    def _row(columns: Mapping[str, pa.Array], position: int) -> dict[str, Any]:
        return {name: column[position].as_py() for name, column in columns.items()}

    @staticmethod
    def _days(column: pa.Array | None, n: int) -> np.ndarray[Any, Any] | None:
        """Each row's date as days since 1970-01-01 (`_NO_DAY` where the cell is not a
        plain date: the row path reads it); None when the column is of another type."""
        if column is None:
            return None
        column = _whole(column)
        if pa.types.is_date32(column.type):
            days = pc.fill_null(pc.cast(column, pa.int32()), _NO_DAY)
            return np.asarray(days.to_numpy(zero_copy_only=False), dtype=np.int64)
        if not pa.types.is_string(column.type):
            return None
        plain = pc.fill_null(pc.match_substring_regex(column, _PLAIN_DATE), False)
        parsed = pc.cast(
            pc.strptime(column, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32()
        )
        # Only a day that writes back as the very text (no 31 April, no year 0).
        same = pc.fill_null(pc.equal(pc.cast(parsed, pa.string()), column), False)
        days = np.asarray(
            pc.fill_null(pc.cast(parsed, pa.int32()), _NO_DAY).to_numpy(zero_copy_only=False),
            dtype=np.int64,
        )
        ok = pc.and_(plain, same).to_numpy(zero_copy_only=False) & (days >= _FIRST_DAY)
        return np.where(ok, days, _NO_DAY)

    def _plain_metrics(
        self, columns: Mapping[str, pa.Array], n: int
    ) -> np.ndarray[Any, Any] | None:
        """Rows whose counts and revenue are a valid use's: integer counts in range, and a
        revenue of plain decimal text (or a decimal) in a currency. Whether such a revenue
        is valid depends only on its currency and its number of decimals (it has at most
        15 digits before the point, below the limit), so the core's check (`_metrics`) is
        run once per (currency, decimals). None: a column of another type."""
        ok = np.ones(n, dtype=bool)
        for name in ("generations", "streams"):
            column = _whole(columns[name])
            if pa.types.is_null(column.type):
                continue
            if not pa.types.is_integer(column.type):
                return None
            good = pc.and_(pc.greater_equal(column, 0), pc.less_equal(column, MAX_COUNT))
            ok &= pc.fill_null(good, True).to_numpy(zero_copy_only=False)
        revenue = _whole(columns["revenue"])
        if pa.types.is_null(revenue.type):
            return ok
        if pa.types.is_decimal(revenue.type):
            text = pc.cast(revenue, pa.string())
            text = pc.replace_substring_regex(text, r"(\.[0-9]*?)0+$", r"\1")
            text = pc.replace_substring_regex(text, r"\.$", "")
        elif pa.types.is_string(revenue.type):
            text = revenue
        else:
            return None
        currency = _whole(columns["currency"])
        if not (pa.types.is_string(currency.type) or pa.types.is_null(currency.type)):
            return None
        given = ~_null_mask(text)
        plain_np, decimals = plain_amounts(text)
        plain_np &= ~_null_mask(currency)
        codes, _ = _codes(currency)
        kind = codes * 64 + np.minimum(decimals, 63)
        check = np.flatnonzero(given & plain_np)
        valid = np.zeros(n, dtype=bool)
        if len(check):
            kinds, first, inverse = grouped(kind[check])
            verdict = np.zeros(len(kinds), dtype=bool)
            for k, position in enumerate(check[first].tolist()):
                verdict[k] = (
                    self._metrics(
                        {
                            "revenue": text[position].as_py(),
                            "currency": currency[position].as_py(),
                            "generations": None,
                            "streams": None,
                        }
                    )
                    is not None
                )
            valid[check] = verdict[inverse.reshape(-1)]
        return ok & (~given | valid)

    def _valid_works(
        self, arrays: CatalogueArrays, work: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Which rows name a work of the data set (`work`: its position, -1 for none) whose
        id is a valid work id of a use. A row's work is the data set's id byte for byte,
        so each data set id is checked once, the first time a row names it."""
        if self._work_validity is None or self._work_validity[0] is not arrays:
            unknown = np.full(len(arrays.work_ids), -1, dtype=np.int8)
            self._work_validity = (arrays, unknown)
        state = self._work_validity[1]
        at = np.maximum(work, 0)
        seen = state[at]
        new = np.flatnonzero((seen < 0) & (work >= 0))
        if len(new):
            met = np.unique(work[new])
            bad = self._invalid_ids(arrays.work_ids.take(pa.array(met)), "works", WORK_SCHEMES)
            state[met] = np.where(bad, 0, 1)
            seen = state[at]
        valid: np.ndarray[Any, Any] = (seen == 1) & (work >= 0)
        return valid

    def _invalid_ids(
        self, flat: pa.Array, name: str, kinds: frozenset[str]
    ) -> np.ndarray[Any, Any]:
        """Which ids of `flat` are not valid ids of `kinds` (or null, or too long).

        An ISRC in its compact form (`isrc:` and twelve characters of the right kinds) is
        valid or not by its two-letter prefix alone, so one of each prefix is checked
        (`id_problem`); every other id is checked once per distinct value."""
        n = len(flat)
        bad = _null_mask(flat).copy()
        compact = np.zeros(n, dtype=bool)
        known = self._ids
        if "isrc" in kinds and n:
            compact = pc.fill_null(pc.match_substring_regex(flat, _COMPACT_ISRC), False)
            compact = compact.to_numpy(zero_copy_only=False)
            if compact.any():
                where = np.flatnonzero(compact)
                prefix = pc.utf8_slice_codeunits(flat.take(pa.array(where)), 5, 7)
                codes, _ = _codes(prefix)
                distinct, first, inverse = grouped(codes)
                verdict = np.zeros(len(distinct), dtype=bool)
                for k, position in enumerate(where[first].tolist()):
                    value = flat[position].as_py()
                    problem = known.get((name, value))
                    if problem is None:
                        problem = known[(name, value)] = bool(id_problem(value, kinds))
                    verdict[k] = problem
                bad[where] = verdict[inverse.reshape(-1)]
        rest = np.flatnonzero(~compact & ~bad)
        if len(rest):
            values = flat.take(pa.array(rest))
            wrong = []
            for value in pc.unique(values).to_pylist():
                problem = known.get((name, value))
                if problem is None:
                    if len(known) > 1 << 20:
                        known.clear()
                    problem = known[(name, value)] = (
                        value is None or len(value) > MAX_ID_CHARS or bool(id_problem(value, kinds))
                    )
                if problem:
                    wrong.append(value)
            if wrong:
                hits = pc.is_in(values, pa.array(wrong, pa.string())).to_numpy(zero_copy_only=False)
                bad[rest[hits]] = True
        return bad

    def _bad_ids(self, columns: Mapping[str, pa.Array], n: int) -> np.ndarray[Any, Any]:
        """Rows with a work or artist id that is not a valid one, or more of them than a use
        may have (their uses are decided by `PolicySet.decide`, which names the problem)."""
        bad = np.zeros(n, dtype=bool)
        for name, kinds, limit in (
            ("works", WORK_SCHEMES, MAX_WORKS),
            ("artists", PARTY_SCHEMES, MAX_ARTISTS),
        ):
            column = columns.get(name)
            if column is None or pa.types.is_null(column.type):
                continue
            column = _whole(column)
            if not pa.types.is_list(column.type) or not pa.types.is_string(column.type.value_type):
                bad[:] = True  # not a list of strings: the use's own error says so
                continue
            sizes = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
            bad |= sizes > limit
            flat = pc.list_flatten(column)
            if not len(flat):
                continue
            hits = self._invalid_ids(flat, name, kinds)
            if hits.any():
                bad[pc.list_parent_indices(column).to_numpy()[hits]] = True
        return bad

    def _answers(
        self,
        columns: dict[str, pa.Array],
        ids: pa.Array,
        frame_key: np.ndarray[Any, Any],
        date_codes: np.ndarray[Any, Any],
        shape_key: np.ndarray[Any, Any],
        first: np.ndarray[Any, Any],
        by_decide: np.ndarray[Any, Any],
        alone: np.ndarray[Any, Any],
    ) -> list[_Answer]:
        """The answer of every distinct key, by its first row."""
        take = pa.array(first)
        cells = {
            name: columns[name].take(take).to_pylist()
            for name in ("works", "artists", "attribution", *_METRICS)
            if name in columns
        }
        none = [None] * len(first)
        works, artists, attribution = (cells.get(name, none) for name in _PARTS)
        metric_rows = [
            dict(zip(_METRICS, values, strict=True))
            for values in zip(*(cells[name] for name in _METRICS), strict=True)
        ]
        template = self.template
        parts_in_template = any(name in template for name in _PARTS)
        vocabulary = self.policy_set.vocabulary
        frames: list[Use] = []
        bare_of: dict[int, Use | None] = {}  # frame key → the frame, dated 2000-01-01
        frame_of: dict[tuple[int, int], int | None] = {}  # (frame, date) → index in `frames`
        dates = self._dates
        table_frame: list[int] = []
        table_works: list[tuple[str, ...]] = []
        table_artists: list[tuple[str, ...]] = []
        table_attribution: list[Mapping[str, Decimal]] = []
        shape_of: dict[int, int | None] = {}  # shape key → shape (None: invalid)
        no_weights: dict[str, Decimal] = {}
        answers: list[_Answer | None] = [None] * len(first)
        groups: dict[str, tuple[list[int], list[int], list[Decimal | None], list[int], list[int]]]
        groups = {}

        for k in range(len(first)):
            position = int(first[k])
            if by_decide[position]:
                use_id = ids[position].as_py() if alone[position] else None
                answers[k] = self._one(_use_dict(self._row(columns, position), template, use_id))
                continue
            s = int(shape_key[position])
            if s not in shape_of:
                shape_of[s] = None
                if parts_in_template or attribution[k]:
                    # Weights (or a template's works) are checked with the whole use.
                    row = self._row(columns, position)
                    try:
                        whole = parse_use(_use_dict(row, template, None, metrics=False), vocabulary)
                    except UseError:
                        pass
                    else:
                        frames.append(whole)
                        shape_of[s] = len(table_frame)
                        table_frame.append(len(frames) - 1)
                        table_works.append(tuple(whole.works))
                        table_artists.append(tuple(whole.artists))
                        table_attribution.append(whole.attribution)
                else:
                    f = int(frame_key[position])
                    dated = (f, int(date_codes[position]))
                    if dated not in frame_of:
                        frame_of[dated] = None
                        if f not in bare_of:
                            bare = _use_dict(
                                self._row(columns, position), template, None, metrics=False
                            )
                            for name in _PARTS:
                                bare.pop(name, None)
                            bare["date"] = _STAND_IN_DATE
                            try:
                                bare_of[f] = parse_use(bare, vocabulary)
                            except UseError:
                                bare_of[f] = None
                        date_column = columns.get("date")
                        day_value = None if date_column is None else date_column[position].as_py()
                        if day_value is None:
                            day_value = template.get("date")
                        day = dates.get(day_value) if _hashable_day(day_value) else None
                        if day is None and _hashable_day(day_value):
                            try:
                                day = _DATE.validate_python(day_value)
                            except ValidationError:
                                day = None
                            if len(dates) > 1 << 16:
                                dates.clear()
                            dates[day_value] = day
                        frame = bare_of[f]
                        if frame is not None and day is not None:
                            frames.append(frame.model_copy(update={"date": day}))
                            frame_of[dated] = len(frames) - 1
                    found = frame_of[dated]
                    if found is not None:
                        shape_of[s] = len(table_frame)
                        table_frame.append(found)
                        table_works.append(tuple(works[k] or ()))
                        table_artists.append(tuple(artists[k] or ()))
                        table_attribution.append(no_weights)
            shape = shape_of[s]
            metrics = None if shape is None else self._metrics(metric_rows[k])
            if shape is None or metrics is None:
                answers[k] = self._one(_use_dict(self._row(columns, position), template, None))
                continue
            revenue, currency, generations, streams = metrics
            group = groups.get(currency)
            if group is None:
                group = groups[currency] = ([], [], [], [], [])
            group[0].append(k)
            group[1].append(shape)
            group[2].append(revenue)
            group[3].append(generations)
            group[4].append(streams)
        shapes = ShapeTable(frames, table_frame, table_works, table_artists, table_attribution)
        for currency, (keys, of_shape, revenues, gens, streams_) in groups.items():
            use_columns = UseColumns(
                shapes,
                np.array(of_shape),
                revenues,
                np.array(gens),
                np.array(streams_),
                currency=_column_currency(currency),
            )
            for k, outcome in zip(keys, self.evaluator.evaluate(use_columns), strict=True):
                answers[k] = _answer_of(outcome)
        assert all(a is not None for a in answers)
        return [a for a in answers if a is not None]

    def _metrics(self, row: Mapping[str, Any]) -> tuple[Decimal | None, str, int, int] | None:
        """The row's checked metrics, or None when they are not a valid use's (then the
        row's use is decided by `PolicySet.decide`, which names the problem). A cell the
        row leaves empty takes the template's value."""
        template = self.template
        cells = [row[name] for name in _METRICS]
        if template:
            cells = [
                template.get(name) if value is None else value
                for name, value in zip(_METRICS, cells, strict=True)
            ]
        return _checked_metrics(cells[0], cells[1], cells[2], cells[3])

    def _one(self, use: Mapping[str, Any]) -> _Answer:
        """The answer of `PolicySet.decide` for one use."""
        try:
            decision = self.policy_set.decide(use)
        except UseError as error:
            return ("error", (), (), (None, None), "; ".join(str(p) for p in error.problems))
        return _answer_of(outcome_of_decision(-1, decision))

    # ------------------------------------------------------------------ output
    def _result(
        self, ids: pa.Array, answers: list[_Answer], inverse: np.ndarray[Any, Any]
    ) -> pa.RecordBatch:
        take = pa.array(inverse.astype(np.int64))
        decisions = pa.array([a[0] for a in answers], pa.string())
        payments = pa.array(
            [
                [
                    {"payee": p, "amount": amount, "currency": c, "rule": rule}
                    for p, amount, c, rule in a[1]
                ]
                for a in answers
            ],
            pa.list_(_PAYMENT),
        )
        totals = pa.array(
            [[{"amount": amount, "currency": c} for c, amount in a[2]] for a in answers],
            pa.list_(_TOTAL),
        )
        rules = pa.array([a[3][0] for a in answers], pa.string())
        sources = pa.array([a[3][1] for a in answers], pa.string())
        errors = pa.array([a[4] for a in answers], pa.string())
        n = len(inverse)
        return pa.RecordBatch.from_arrays(
            [
                ids,
                decisions.take(take),
                payments.take(take),
                totals.take(take),
                rules.take(take),
                sources.take(take),
                errors.take(take),
                self._version_column(n),
            ],
            schema=_SCHEMA,
        )


def table_of_uses(uses: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Uses as JSON objects (as a client sends them) → a table `decide_table` reads: one
    column per field, `output.<flag>` and `facts.<name>` flat, revenue as decimal text
    with a `currency` column. A field a use leaves out is null in its row."""
    rows = list(uses)
    n = len(rows)
    # The fields every use has, always as columns (so that chunks of a file agree).
    columns: dict[str, list[Any]] = {
        name: [None] * n
        for name in (
            "id", "date", "licensee", "purpose", "territory", *_LISTS, "attribution",
            "commercial", *(f"output.{flag}" for flag in _FLAGS),
            "revenue", "currency", "generations", "streams",
        )
    }  # fmt: skip

    def put(name: str, index: int, value: Any) -> None:
        column = columns.get(name)
        if column is None:  # (a new column's list is made once, not at every cell)
            column = columns[name] = [None] * n
        column[index] = value

    for index, use in enumerate(rows):
        for name, value in use.items():
            if name in ("output", "facts") and isinstance(value, Mapping):
                for inner, item in value.items():
                    put(f"{name}.{inner}", index, item)
            elif name == "metrics" and isinstance(value, Mapping):
                revenue = value.get("revenue")
                if isinstance(revenue, Mapping):
                    put("revenue", index, revenue.get("amount"))
                    put("currency", index, revenue.get("currency"))
                for count in ("generations", "streams"):
                    if count in value:
                        put(count, index, value[count])
            elif name == "attribution" and isinstance(value, Mapping):
                put(name, index, [(k, str(v)) for k, v in value.items()])
            else:
                put(name, index, value)
    types = {
        "attribution": pa.map_(pa.string(), pa.string()),
        "generations": pa.int64(),
        "streams": pa.int64(),
        **{name: pa.list_(pa.string()) for name in _LISTS},
        **{f"output.{flag}": pa.bool_() for flag in _FLAGS},
        "commercial": pa.bool_(),
        **{name: pa.string() for name in ("id", "date", "licensee", "purpose", "territory")},
        **{name: pa.string() for name in ("revenue", "currency")},
    }
    return pa.table({name: pa.array(values, types.get(name)) for name, values in columns.items()})


# ---------------------------------------------------------------------- helpers


def _payee_slots(
    outcome: _Outcome, exact: list[tuple[str, Any, str]], layout: Any
) -> tuple[Any, ...] | None:
    """Where each payee of the outcome comes from in a row of its class: `(0, id)` the
    same for every row, `(1, j)` the `j`-th artist of the row's layout, `(2, 0)` the work
    (`layout`: the core's layout of the row the outcome was priced for; `exact`: the
    lines it rounded). None when the payments cannot be given to another row of the class
    as they are: rounding changed an amount where it reads the payees (the tie rule,
    between lines of one currency)."""
    if rounding_reads_payees(exact) and sorted(
        (p, m.amount, m.currency, r) for p, m, r in exact
    ) != sorted(outcome.payments):
        return None
    work_id = layout.works[0] if layout.works else None
    artists = list(layout.artists)
    slots: list[Any] = []
    for payee, _, _, _ in outcome.payments:
        if payee == work_id:
            slots.append((2, 0))
        elif payee in artists:
            slots.append((1, artists.index(payee)))
        else:
            slots.append((0, payee))
    return tuple(slots)


def _column_currency(currency: str | None) -> str:
    """The currency the core's columns (`UseColumns`) price a use in: its revenue's, or
    USD for a use with no revenue (then no amount reads it)."""
    return currency or "USD"


def _fixed_payees(outcome: _Outcome) -> tuple[Any, ...]:
    """An answer's payees as they are (`(0, id)` each): a row's own answer."""
    return tuple((0, payee) for payee, _, _, _ in outcome.payments)


def _answer_of(outcome: _Outcome) -> _Answer:
    """A row's answer from the compact outcome: decision, payments, totals, the first
    denying (rule, source), error."""
    if outcome.decision == "error":  # the shapes carry no id: no `use <id>: ` head
        return ("error", (), (), (None, None), outcome.error or "")
    reason: tuple[str | None, str | None] = (None, None)
    if outcome.decision == "deny" and outcome.denial:
        reason = (outcome.denial[0][1], outcome.source)
    return (outcome.decision, outcome.payments, outcome.totals, reason, None)


def _checked_metrics(
    amount: Any, currency: Any, generations: Any, streams: Any
) -> tuple[Decimal | None, str, int, int] | None:
    """A row's metrics cells (revenue, currency, generations, streams; None: not given)
    checked as a use's: `(revenue amount, currency, generations, streams)`, or None when
    they are not a valid use's."""
    if generations is None:
        generations = 0
    if streams is None:
        streams = 0
    if type(generations) is not int or not 0 <= generations <= MAX_COUNT:
        return None
    if type(streams) is not int or not 0 <= streams <= MAX_COUNT:
        return None
    if amount is None:
        return None, "", generations, streams
    if not isinstance(currency, str):
        return None
    text = _decimal_text(amount)
    if text is None:
        return None
    money = plain_money(text, currency)  # remembered there, by the same text and currency
    if money is None:
        return None
    return money.amount, currency, generations, streams


def _decimal_text(value: Any) -> str | None:
    """A revenue cell as the decimal text of a use: a decimal128 without the trailing
    zeros of its column's scale (`1200.000000` → `1200`), a string as it is."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal) and value.is_finite():
        if value == value.to_integral_value():
            return format(value.quantize(Decimal(1)), "f")
        return format(value.normalize(), "f")
    return None


def _template(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as flat column names: `output.public`, `facts.x`, `revenue`, …"""
    flat: dict[str, Any] = {}
    for name, value in template.items():
        if name in ("output", "facts") and isinstance(value, Mapping):
            for inner, item in value.items():
                flat[f"{name}.{inner}"] = item
        elif name == "metrics" and isinstance(value, Mapping):
            revenue = value.get("revenue")
            if isinstance(revenue, Mapping):
                flat["revenue"] = revenue.get("amount")
                flat["currency"] = revenue.get("currency")
            for count in ("generations", "streams"):
                if count in value:
                    flat[count] = value[count]
        elif name != "id":
            flat[name] = value
    return flat


def _string_column(batch: pa.RecordBatch, name: str, n: int) -> pa.Array:
    index = batch.schema.get_field_index(name)
    if index < 0:
        return pa.nulls(n, pa.string())
    column = batch.column(index)
    return column if column.type == pa.string() else pc.cast(column, pa.string())


def _columns(batch: pa.RecordBatch, template: Mapping[str, Any]) -> dict[str, pa.Array]:
    """The batch's use columns by flat name (structs `output` and `facts` flattened),
    with a null column for each field the template gives and the batch does not."""
    n = batch.num_rows
    found: dict[str, pa.Array] = {}
    for field, column in zip(batch.schema, batch.columns, strict=True):
        name = field.name
        if name in ("output", "facts"):
            if not pa.types.is_struct(field.type):
                raise TableError(
                    f"column `{name}` is {field.type}: give it as a struct column, or one "
                    f"column per field named `{name}.<field>`"
                )
            for index in range(field.type.num_fields):
                inner = field.type.field(index).name
                if name == "output" and inner not in _FLAGS:
                    raise TableError(f"column `output`: `{inner}` is not an output flag")
                found[f"{name}.{inner}"] = pc.struct_field(column, [index])
        elif name.startswith("output.") and name[7:] not in _FLAGS:
            raise TableError(f"column `{name}`: `{name[7:]}` is not an output flag")
        elif _is_use_column(name) and name not in ("id", "work"):  # each read on its own
            found[name] = column
    work = batch.schema.get_field_index("work")
    if work >= 0 and "works" not in found:  # one work per row, as a CSV manifest has it
        column = batch.column(work)
        if not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        offsets = pa.array(np.arange(n + 1, dtype=np.int32))
        found["works"] = pa.ListArray.from_arrays(offsets, column, mask=column.is_null())
    for name in ("revenue", "currency", "generations", "streams"):
        found.setdefault(name, pa.nulls(n))
    for name in template:
        found.setdefault(name, pa.nulls(n))
    return found


def _is_use_column(name: str) -> bool:
    """Whether the column is one of a use's (`_columns` reads it; the others are ignored;
    an `output.<name>` that is not a flag is refused there)."""
    return (
        name in _SCALARS
        or name in _LISTS
        or name in _OTHER_USE_COLUMNS
        or name.startswith(("facts.", "output."))
    )


def _plain_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch's use columns (`_is_use_column`; the others are dropped), each `_plain`."""
    names = [name for name in batch.schema.names if _is_use_column(name)]
    columns = [_plain(batch.column(name)) for name in names]
    if len(names) == batch.num_columns and all(
        c.type == t for c, t in zip(columns, batch.schema.types, strict=True)
    ):
        return batch
    return pa.RecordBatch.from_arrays(columns, names=names)


def plain_amounts(text: pa.Array) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Which cells of a string column are plain amounts (`_PLAIN_AMOUNT`: 1 to 15 digits,
    then a point and 1 to 30 digits, or none; not null), and the number of decimals of
    each plain one — read from the column's bytes with NumPy, a pass over them rather than
    a regular expression per cell."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    n = len(text)
    if not n:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=4 * text.offset)
    offsets = offsets.astype(np.int64)
    low, high = int(offsets[0]), int(offsets[-1])
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)[low:high]
        if buffers[2] is not None
        else np.zeros(0, dtype=np.uint8)
    )
    start, end = offsets[:-1] - low, offsets[1:] - low
    size = end - start
    digit = (data >= 0x30) & (data <= 0x39)
    point = data == 0x2E
    # Per cell: how many bytes are neither a digit nor a point, and how many are points.
    odd = np.concatenate([[0], np.cumsum(~(digit | point), dtype=np.int64)])
    points = np.concatenate([[0], np.cumsum(point, dtype=np.int64)])
    odd_count, point_count = odd[end] - odd[start], points[end] - points[start]
    at = np.flatnonzero(point)
    where = np.zeros(n, dtype=np.int64)  # a point's place in its cell (one point: its own)
    owner = np.searchsorted(end, at, side="right")
    where[owner] = at - start[owner]
    one = point_count == 1
    whole = np.where(one, where, size)  # digits before the point
    decimals = np.where(one, size - where - 1, 0)
    plain = (
        (odd_count == 0)
        & (point_count <= 1)
        & (whole >= 1)
        & (whole <= 15)
        & (~one | ((decimals >= 1) & (decimals <= 30)))
        & ~_null_mask(text)
    )
    return plain, decimals


def _plain(column: pa.Array) -> pa.Array:
    """A column as the array path reads it: text as `string` (not a dictionary of it —
    Polars' categoricals, Parquet read with `read_dictionary` — nor `large_string` or
    `string_view`, which Arrow cannot even filter), lists as `list` of such text, structs
    of such columns. The same values: only their layout changes, so that those tables are
    decided by arrays, not row by row."""
    kind = column.type
    if pa.types.is_struct(kind):
        fields = [kind.field(i) for i in range(kind.num_fields)]
        children = [_plain(child) for child in column.flatten()]
        if all(c.type == f.type for c, f in zip(children, fields, strict=True)):
            return column
        return pa.StructArray.from_arrays(
            children,
            fields=[f.with_type(c.type) for f, c in zip(fields, children, strict=True)],
            mask=column.is_null() if column.null_count else None,
        )
    if pa.types.is_dictionary(kind):
        column = column.dictionary_decode()
        kind = column.type
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return column.cast(pa.string())
    if pa.types.is_large_list(kind) or pa.types.is_list_view(kind) or pa.types.is_list(kind):
        item = kind.value_type
        if pa.types.is_dictionary(item):
            item = item.value_type
        if pa.types.is_large_string(item) or pa.types.is_string_view(item):
            item = pa.string()
        wanted = pa.list_(item)
        if kind != wanted:
            return column.cast(wanted)
    return column


def _codes(column: pa.Array) -> tuple[np.ndarray[Any, Any], int]:
    """A code per row (equal values, equal codes; null has a code of its own) and how many
    codes there are."""
    if pa.types.is_null(column.type):
        return np.zeros(len(column), dtype=np.int64), 1
    if pa.types.is_decimal(column.type) or pa.types.is_floating(column.type):
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, max(len(encoded.dictionary), 1)


def _combine(
    key: np.ndarray[Any, Any], bound: int, codes: np.ndarray[Any, Any], size: int
) -> tuple[np.ndarray[Any, Any], int]:
    """Keys that tell apart what `key` and `codes` tell apart, and their bound."""
    if bound * size >= _KEY_BOUND:
        distinct, key = numbered(key)
        key = key.reshape(-1).astype(np.int64)
        bound = len(distinct)
    return key * size + codes, bound * size


def _list_codes(column: pa.Array) -> tuple[list[tuple[np.ndarray[Any, Any], int]], Any]:
    """Codes for a list column: of its items joined, and of its length; and the rows whose
    items hold the separator (their joined text could equal another list's)."""
    if pa.types.is_map(column.type):
        # A slice's offsets point into its parent's entries: rebased on fresh arrays.
        raw = column.offsets.to_numpy()
        start, stop = int(raw[0]), int(raw[-1])
        offsets = pa.array(raw - start, pa.int32())
        mask = column.is_null()
        keys = pa.ListArray.from_arrays(offsets, column.keys.slice(start, stop - start), mask=mask)
        values = pc.cast(column.items.slice(start, stop - start), pa.string())
        items = pa.ListArray.from_arrays(offsets, values, mask=mask)
        first, odd_a = _list_codes(keys)
        second, odd_b = _list_codes(items)
        return first + second, odd_a | odd_b
    if not pa.types.is_string(column.type.value_type):
        column = pc.cast(column, pa.list_(pa.string()))
    lengths = pc.list_value_length(column)
    joined = pc.binary_join(column, _SEPARATOR)
    flat = pc.list_flatten(column)
    odd = np.zeros(len(column), dtype=bool)
    if len(flat) and pc.any(pc.match_substring(flat, _SEPARATOR)).as_py():
        hits = pc.list_parent_indices(column).to_numpy()[
            pc.fill_null(pc.match_substring(flat, _SEPARATOR), False).to_numpy(zero_copy_only=False)
        ]
        odd[hits] = True
    return [_codes(joined), _codes(lengths)], odd


def _cells_key(cells: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The cells as a key (lists as tuples, each value with its type: `True` and `1` make
    different uses); None when a cell cannot be a key (a map)."""
    key: list[Any] = []
    for name, value in cells.items():
        if isinstance(value, list):
            value = tuple(value)
        key.append((name, type(value), value))
    found = tuple(key)
    try:
        hash(found)
    except TypeError:
        return None
    return found


def _null_mask(column: pa.Array) -> np.ndarray[Any, Any]:
    return np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)


def _hashable_day(value: Any) -> bool:
    return isinstance(value, str | dt.date) and not isinstance(value, dt.datetime)


def _whole(column: Any) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _shape_key(
    columns: Mapping[str, pa.Array], n: int, *, skip: tuple[str, ...] = ()
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """One integer per row, equal for rows that make the same use but for id, metrics and
    the columns in `skip`; and the rows that must be decided alone."""
    key = np.zeros(n, dtype=np.int64)
    bound = 1
    odd = np.zeros(n, dtype=bool)
    for name, column in columns.items():
        if name in _METRICS or name in skip:
            continue
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if (
            pa.types.is_list(column.type)
            or pa.types.is_large_list(column.type)
            or (pa.types.is_map(column.type))
        ):
            parts, rows = _list_codes(column)
            odd |= rows
        elif pa.types.is_struct(column.type) or pa.types.is_list(column.type):
            parts = [_codes(pc.cast(column, pa.string()))]
        else:
            parts = [_codes(column)]
        for codes, size in parts:
            key, bound = _combine(key, bound, codes, size)
    distinct, key = numbered(key)
    del distinct
    return key.reshape(-1).astype(np.int64), odd


def _use_dict(
    row: Mapping[str, Any], template: Mapping[str, Any], use_id: str | None, *, metrics: bool = True
) -> dict[str, Any]:
    """The use a row makes (the template's value where the row has none)."""
    use: dict[str, Any] = {}
    if use_id is not None:
        use["id"] = use_id
    output: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    given: dict[str, Any] = {}
    for name in {**template, **row}:
        value = row.get(name)
        if value is None:
            value = template.get(name)
        if value is None:
            continue
        given[name] = value
    for name, value in given.items():
        if name.startswith("output."):
            output[name[7:]] = value
        elif name.startswith("facts."):
            facts[name[6:]] = value
        elif name == "attribution":
            use[name] = dict(value) if not isinstance(value, dict) else value
        elif name in _LISTS:
            use[name] = list(value)
        elif name in _SCALARS:
            use[name] = value.isoformat() if isinstance(value, dt.date) else value
        elif name in ("revenue", "currency", "generations", "streams"):
            pass
        else:
            use[name] = value
    if isinstance(use.get("attribution"), dict):
        use["attribution"] = {
            k: (_decimal_text(v) if isinstance(v, Decimal) else v)
            for k, v in use["attribution"].items()
        }
    if output:
        use["output"] = output
    if facts:
        use["facts"] = facts
    if metrics:
        counts: dict[str, Any] = {k: given[k] for k in ("generations", "streams") if k in given}
        found: dict[str, Any] = {**counts}
        if "revenue" in given:
            amount = given["revenue"]
            text = _decimal_text(amount)
            found["revenue"] = {
                "amount": text if text is not None else amount,
                "currency": given.get("currency"),
            }
        if found:
            use["metrics"] = found
    return use


__all__ = [
    "MAX_BATCH_ROWS",
    "TableDecider",
    "decide_batches",
    "decide_table",
    "result_schema",
    "table_of_uses",
]
