"""`clausula.decide_table`: a table of uses decided row for row as `PolicySet.decide`.

The reference is always `PolicySet.decide` on the use each row makes, projected to the
result's columns (`_row`): the decision, every payment (payee, exact rounded amount,
currency, rule) and total in order, the rule and source of the first denying reason, and
the problems of a use that is not valid (each with its JSON Pointer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from corpus.casefile import Case, all_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula import UseError
from clausula.batch import LoadedPolicy, load_files
from clausula.kinds import DENYING
from clausula.table import decide_batches, decide_table, result_schema, table_of_uses

CASES = all_cases()
WORLD = Path(__file__).resolve().parent / "corpus"


@cache
def _loaded(policies: Path, data: Path, assume: tuple[str, ...]) -> LoadedPolicy:
    policy = clausula.load(policies, data=data, assume=assume)
    checked = load_files([policies], data=data, assume=assume, display_root=policies.parent)
    return LoadedPolicy(policy, checked.checked)


def _row(policy: clausula.PolicySet, use: dict[str, Any]) -> dict[str, Any]:
    """What `decide_table` must give for `use`: `PolicySet.decide`, projected."""
    try:
        decision = policy.decide(use)
    except UseError as error:
        return {
            "id": use.get("id"),
            "decision": "error",
            "payments": [],
            "totals": [],
            "reason_rule": None,
            "reason_source": None,
            "error": "; ".join(str(p) for p in error.problems),
            "policy_version": policy.version,
        }
    first = next((r for r in decision.reasons if r.effect in DENYING), None)
    denied = decision.decision == "deny" and first is not None
    return {
        "id": decision.id,
        "decision": decision.decision,
        "payments": [
            {"payee": p.payee, "amount": p.amount, "currency": p.currency, "rule": p.rule}
            for p in decision.payments
        ],
        "totals": [{"amount": t.amount, "currency": t.currency} for t in decision.totals],
        "reason_rule": first.rule if denied and first else None,
        "reason_source": first.source if denied and first else None,
        "error": None,
        "policy_version": policy.version,
    }


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for index, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"row {index}"
        # decimal128(38, 6) holds the exact amount: compare its digits too, not only ==.
        for p, q in zip(g["payments"], w["payments"], strict=True):
            assert p["amount"].normalize() == q["amount"].normalize()


# ------------------------------------------------------------------ the corpus


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case: Case) -> None:
    loaded = _loaded(case.policies, case.data, case.assume)
    uses = [case.use, {**case.use, "id": "sibling"}, case.use]
    got = decide_table(loaded, table_of_uses(uses)).to_pylist()
    _same(got, [_row(loaded.policy_set, u) for u in uses])


# ------------------------------------------------------------------ random manifests

_DATES = ["2025-12-31", "2026-01-01", "2026-05-01", "2026-06-30", "2028-06-02", "2029-01-01"]
_DATES += ["2026-02-30", "01/05/2026"]  # not dates: the row is an error naming /date
_TERRITORIES = ["US", "US-TN", "US-CA", "DE", "CN", "XX", "U"]
_WORKS = [f"isrc:QZCRP26{n:05d}" for n in (1, 2, 3, 4, 5, 7, 10, 99)] + ["isrc:BAD"]
_ARTISTS = ["party:ada", "party:ben", "party:eli", "party:jun", "party:lou", "party:zed"]
# `1000`, `1000.0` and `1000.00` USD: one amount written three ways (the core's memories
# key an amount by its text).
_REVENUES = [
    ("1", "JPY"), ("0.03", "USD"), ("1000.00", "USD"), ("12000.00", "USD"), ("0.005", "KWD"),
    ("0.001", "USD"), ("-1", "USD"), ("5", "XYZ"), ("1000", "USD"), ("1000.0", "USD"),
]  # fmt: skip


@st.composite
def _manifest_use(draw: st.DrawFn) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": f"row-{draw(st.integers(0, 5))}",
        "date": draw(st.sampled_from(_DATES)),
        "licensee": draw(st.sampled_from(["party:dev"] * 4 + ["party:dev-two", "party:"])),
        "purpose": draw(st.sampled_from(["training", "generation", "voice_replica", "nope"])),
        "territory": draw(st.sampled_from(["US"] * 3 + _TERRITORIES)),
        "works": draw(st.lists(st.sampled_from(_WORKS), max_size=3)),
    }
    if draw(st.booleans()):
        use["artists"] = draw(st.lists(st.sampled_from(_ARTISTS), max_size=2))
    attributed = draw(st.lists(st.sampled_from(_ARTISTS), max_size=3, unique=True))
    if attributed:
        use["attribution"] = {a: str(round(1 / (len(attributed) + 1), 4)) for a in attributed}
    if draw(st.booleans()):
        use["output"] = {"synthetic_audio": draw(st.booleans()), "public": draw(st.booleans())}
    if draw(st.booleans()):
        use["context"] = draw(st.lists(st.sampled_from(["parody", "news"]), max_size=2))
    metrics: dict[str, Any] = {}
    if draw(st.booleans()):
        amount, currency = draw(st.sampled_from(_REVENUES))
        metrics["revenue"] = {"amount": amount, "currency": currency}
    if draw(st.booleans()):
        metrics["generations"] = draw(st.sampled_from([0, 100000, 150000, -1]))
    if draw(st.booleans()):
        metrics["streams"] = draw(st.sampled_from([0, 1000]))
    if metrics:
        use["metrics"] = metrics
    return use


_WORLD_SETS = sorted(
    {(c.policies, c.data, c.assume) for c in CASES if c.data.name == "world"},
    key=lambda k: (str(k[0]), k[2]),
)


@pytest.mark.parametrize("key", _WORLD_SETS, ids=[f"{k[0].name}{list(k[2])}" for k in _WORLD_SETS])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    uses=st.lists(_manifest_use(), min_size=1, max_size=12),
    cut=st.integers(1, 5),
    workers=st.sampled_from([1, 2, 3]),
)
def test_random_manifests_decide_as_decide(
    key: tuple[Path, Path, tuple[str, ...]], uses: list[dict[str, Any]], cut: int, workers: int
) -> None:
    """Random manifests of the corpus's world — repeated uses, bad ids, bad territories,
    negative counts, money beyond the minor unit — in batches of `cut` rows, on 1 to 3
    threads: every row as `PolicySet.decide` answers its use, and the same table, byte
    for byte, whatever the number of threads."""
    loaded = _loaded(*key)
    table = table_of_uses(uses)
    decided = pa.Table.from_batches(
        list(decide_batches(loaded, table.to_batches(max_chunksize=cut), workers=workers)),
        schema=result_schema(),
    )
    _same(decided.to_pylist(), [_row(loaded.policy_set, u) for u in uses])
    alone = pa.Table.from_batches(
        list(decide_batches(loaded, table.to_batches(max_chunksize=cut), workers=1)),
        schema=result_schema(),
    )
    assert decided.equals(alone)


def test_bare_policy_set_decides_alike() -> None:
    """Without the checked text every distinct use takes `PolicySet.decide`."""
    case = CASES[0]
    policy = _loaded(case.policies, case.data, case.assume).policy_set
    uses = [case.use, {**case.use, "id": "again"}]
    _same(decide_table(policy, table_of_uses(uses)).to_pylist(), [_row(policy, u) for u in uses])


# ------------------------------------------------------------------ columns and template


def _world_case() -> Case:
    return next(c for c in CASES if c.data.name == "world" and c.use.get("metrics"))


def test_template_fills_absent_columns_and_null_cells() -> None:
    case = _world_case()
    loaded = _loaded(case.policies, case.data, case.assume)
    use = case.use
    template = {k: v for k, v in use.items() if k not in ("id", "works")}
    table = pa.table(
        {
            "id": ["a", "b"],
            "works": pa.array([use.get("works", []), None], pa.list_(pa.string())),
        }
    )
    got = decide_table(loaded, table, template=template).to_pylist()
    want = [
        _row(loaded.policy_set, {**template, "id": "a", "works": use.get("works", [])}),
        _row(loaded.policy_set, {**template, "id": "b"}),
    ]
    _same(got, want)


def test_decimal_revenue_dates_and_structs() -> None:
    """Revenue as decimal128 (any scale), dates as date32, output as a struct column."""
    case = _world_case()
    loaded = _loaded(case.policies, case.data, case.assume)
    use = case.use
    revenue = use["metrics"].get("revenue") or {"amount": "1000.00", "currency": "USD"}
    table = pa.table(
        {
            "id": ["x"],
            "date": pa.array([dt.date.fromisoformat(use["date"])], pa.date32()),
            "licensee": [use["licensee"]],
            "purpose": [use["purpose"]],
            "territory": [use["territory"]],
            "works": pa.array([use.get("works", [])], pa.list_(pa.string())),
            "artists": pa.array([use.get("artists", [])], pa.list_(pa.string())),
            "output": pa.array([use.get("output", {"public": False})]),
            "revenue": pa.array([Decimal(revenue["amount"])], pa.decimal128(38, 6)),
            "currency": [revenue["currency"]],
        }
    )
    expected = {
        **{k: v for k, v in use.items() if k not in ("attribution", "context", "metrics")},
        "id": "x",
        "metrics": {"revenue": revenue},
    }
    _same(decide_table(loaded, table).to_pylist(), [_row(loaded.policy_set, expected)])


def test_a_bad_row_is_its_error_never_the_end_of_the_run() -> None:
    case = _world_case()
    loaded = _loaded(case.policies, case.data, case.assume)
    good = {**case.use, "id": "good"}
    bad_id = {**case.use, "id": "bad", "works": ["isrc:NOT-AN-ISRC"]}
    bad_money = {
        **case.use,
        "id": "money",
        "metrics": {"revenue": {"amount": "1.001", "currency": "USD"}},
    }
    long_id = {**case.use, "id": "x" * 10_000}
    uses = [good, bad_id, bad_money, long_id]
    got = decide_table(loaded, table_of_uses(uses)).to_pylist()
    _same(got, [_row(loaded.policy_set, u) for u in uses])
    assert got[1]["decision"] == "error" and "/works/0" in got[1]["error"]
    assert got[2]["decision"] == "error" and "/metrics/revenue" in got[2]["error"]


def test_separator_in_a_list_item_cannot_merge_two_uses() -> None:
    """["a\\x1fb"] and ["a", "b"] join to the same text: such rows are decided alone."""
    case = _world_case()
    loaded = _loaded(case.policies, case.data, case.assume)
    uses = [
        {**case.use, "artists": ["party:ada\x1fparty:eli"]},
        {**case.use, "artists": ["party:ada", "party:eli"]},
    ]
    got = decide_table(loaded, table_of_uses(uses)).to_pylist()
    _same(got, [_row(loaded.policy_set, u) for u in uses])


def test_empty_table_and_schema() -> None:
    case = CASES[0]
    loaded = _loaded(case.policies, case.data, case.assume)
    empty = pa.table({"id": pa.array([], pa.string())})
    result = decide_table(loaded, empty)
    assert result.num_rows == 0 and result.schema == result_schema()
    assert clausula.decide_table is decide_table


def test_two_consents_in_one_clause_each_row_its_own_source(tmp_path: Path) -> None:
    """One clause asks two consents (of the named artists, and of everyone touched): which
    one denies first depends on the use, and so does the source of the reason."""
    pool = (WORLD / "policies" / "pool" / "pool.clause").read_text(encoding="utf-8")
    two = pool.replace(
        "    require consent of each artist in use.touched for use.purpose in writing signed\n",
        "    require consent of each artist in use.artists for generation in writing signed\n"
        "    require consent of each artist in use.touched for use.purpose in writing signed\n",
    )
    assert two != pool
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "two.clause").write_text(two, encoding="utf-8")
    loaded = _loaded(tmp_path / "policies", WORLD / "world", ())
    base = {"date": "2026-06-01", "licensee": "party:dev", "purpose": "training", "territory": "US"}
    # Ben's generation grant is revoked on 2026-05-01; he never consented to training.
    uses = [
        {**base, "id": "after", "date": "2026-06-01", "artists": ["party:ben"]},  # the first
        {**base, "id": "before", "date": "2026-04-01", "artists": ["party:ben"]},  # the second
    ]
    want = [_row(loaded.policy_set, u) for u in uses]
    got = decide_table(loaded, table_of_uses(uses)).to_pylist()
    _same(got, want)
    assert got[0]["reason_source"] != got[1]["reason_source"]


# ------------------------------------------------------------------ the array path


def _by_batches(
    loaded: LoadedPolicy, table: pa.Table, cut: int | None = None
) -> tuple[list[dict[str, Any]], Any]:
    """The rows of `table` decided by one `TableDecider`, in batches of at most `cut`
    rows, and the decider (whose `stats` say which path took them)."""
    from clausula.table import TableDecider

    decider = TableDecider(loaded)
    got = pa.Table.from_batches(
        [decider.decide(b) for b in table.to_batches(max_chunksize=cut)], schema=result_schema()
    ).to_pylist()
    return got, decider


@cache
def _boundary_days(key: tuple[Path, Path, tuple[str, ...]]) -> tuple[str, ...]:
    """Days on both sides of the dates where the policy's answers can change (the batch
    core's date boundaries, and the days among which it places a use's date for each
    artist of the data), as `YYYY-MM-DD`."""
    from clausula.batch import BatchEvaluator

    evaluator = BatchEvaluator(_loaded(*key))
    boundaries = list(evaluator._boundaries or [dt.date(2026, 6, 1)])
    for artist in evaluator._catalogue.parties:
        found = evaluator._artist_days(artist)
        boundaries += found[0] if found is not None else ()
    days = {d + dt.timedelta(days=k) for d in boundaries for k in (-1, 0, 1)}
    return tuple(sorted(d.isoformat() for d in days if 2000 <= d.year <= 2100))


@st.composite
def _one_work_use(draw: st.DrawFn, days: tuple[str, ...]) -> dict[str, Any]:
    """A manifest's usual row (one work, and no artists or one — a performer of the work
    or not, of the data or not, or a bad id — no attribution), or a usage log's (no work,
    one artist: no `works` key — a null cell — or an empty list) — or, one time in five,
    several works, artists or attribution — on a boundary day or either side."""
    use = draw(_manifest_use())
    use["date"] = draw(st.sampled_from(days) | st.sampled_from(_DATES))
    shape = draw(st.integers(0, 4))
    if shape:
        use["works"] = [draw(st.sampled_from([*_WORKS, "isrc:QZZZZ2699999", "iswc:T0345246801"]))]
        use.pop("artists", None)
        use.pop("attribution", None)
        if shape == 4 or draw(st.booleans()):
            use["artists"] = [draw(st.sampled_from([*_ARTISTS, "party:nobody", "nope"]))]
        if shape == 4:  # no work
            if draw(st.booleans()):
                del use["works"]
            else:
                use["works"] = []
    return use


@pytest.mark.parametrize("key", _WORLD_SETS, ids=[f"{k[0].name}{list(k[2])}" for k in _WORLD_SETS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), cut=st.integers(1, 40), dated=st.booleans())
def test_array_path_decides_as_decide(
    key: tuple[Path, Path, tuple[str, ...]], data: st.DataObject, cut: int, dated: bool
) -> None:
    """Rows whose class the array path computes (`clausula.batch.columnar`) — on the
    policy's date boundaries and beside them, unknown works, bad ids and metrics, dates as
    text or as date32 — mixed with rows of several works, artists and attribution: every
    row as `PolicySet.decide` answers its use."""
    loaded = _loaded(*key)
    uses = data.draw(st.lists(_one_work_use(_boundary_days(key)), min_size=1, max_size=60))
    table = table_of_uses(uses)
    if dated:  # the date as a date32 column where every cell is a date
        with contextlib.suppress(ValueError):
            table = table.set_column(
                table.schema.get_field_index("date"),
                "date",
                pa.array([dt.date.fromisoformat(u["date"]) for u in uses], pa.date32()),
            )
    got, decider = _by_batches(loaded, table, cut)
    _same(got, [_row(loaded.policy_set, u) for u in uses])
    assert decider.stats["by_arrays"] + decider.stats["by_rows"] == len(uses)


def _retyped(column: pa.ChunkedArray, layout: str) -> pa.ChunkedArray:
    """The same values in another layout of Arrow: text as a dictionary (Polars'
    categoricals), a large string or a string view, lists as large lists."""
    kind = column.type
    if pa.types.is_string(kind):
        if layout == "dictionary":
            return pc.dictionary_encode(column)
        return column.cast(pa.large_string() if layout == "large" else pa.string_view())
    if pa.types.is_list(kind) and pa.types.is_string(kind.value_type):
        item = pa.large_string() if layout == "large" else pa.string_view()
        return column.cast(pa.large_list(item) if layout != "dictionary" else pa.list_(item))
    return column


@pytest.mark.parametrize("layout", ["dictionary", "large", "view"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_text_in_any_arrow_layout_takes_the_array_path_alike(
    layout: str, data: st.DataObject
) -> None:
    """A table whose text columns are dictionaries, large strings or string views (as
    Polars and Parquet readers give them), and whose lists are large lists, is decided
    row for row as the same table of plain strings — and as many of its rows by arrays."""
    key = _WORLD_SETS[0]
    loaded = _loaded(*key)
    uses = data.draw(st.lists(_one_work_use(_boundary_days(key)), min_size=1, max_size=30))
    table = table_of_uses(uses)
    retyped = pa.table([_retyped(c, layout) for c in table.columns], names=table.column_names)
    want, plain = _by_batches(loaded, table)
    got, other = _by_batches(loaded, retyped)
    assert got == want
    assert other.stats == plain.stats


def test_array_path_takes_the_usual_rows() -> None:
    """A manifest of one-work rows is decided by arrays, not row by row."""
    key = _WORLD_SETS[0]
    loaded = _loaded(*key)
    uses = [
        {
            "id": f"r{i}",
            "date": "2026-05-01",
            "licensee": "party:dev",
            "purpose": "training",
            "territory": "US",
            "works": [_WORKS[i % 4]],
        }
        for i in range(20)
    ]
    got, decider = _by_batches(loaded, table_of_uses(uses))
    _same(got, [_row(loaded.policy_set, u) for u in uses])
    assert decider.stats["by_arrays"] == len(uses)


def test_array_path_takes_rows_naming_one_artist() -> None:
    """Rows of one work naming one artist of the data (a performer of the work or not,
    consents asked and payments due to them) are decided by arrays, each paying its own
    artist, as `decide` does."""
    key = _WORLD_SETS[0]
    loaded = _loaded(*key)
    uses = [
        {
            "id": f"r{i}",
            "date": "2026-05-01",
            "licensee": "party:dev",
            "purpose": purpose,
            "territory": "US",
            "works": [_WORKS[(0, 3, 4, 5)[i % 4]]],  # one performer each (exact shares)
            "artists": [_ARTISTS[i % len(_ARTISTS)]],
            "metrics": {"revenue": {"amount": f"{4200 * (1 + i % 5)}.00", "currency": "USD"}},
        }
        for i in range(48)
        for purpose in ("training", "generation")
    ]
    got, decider = _by_batches(loaded, table_of_uses(uses), 30)
    _same(got, [_row(loaded.policy_set, u) for u in uses])
    assert decider.stats["by_arrays"] == len(uses)
    assert any(row["payments"] for row in got)  # payees moved to each row's own


def test_array_path_takes_rows_of_one_artist_and_no_work() -> None:
    """A usage log's rows — no work, one artist (of the data or not) — are decided by
    arrays, with no `works` column at all or with empty lists, each paying its own artist,
    as `decide` does."""
    key = _WORLD_SETS[0]
    loaded = _loaded(*key)
    uses = [
        {
            "id": f"g{i}",
            "date": f"2026-0{1 + i % 9}-1{i % 10}",
            "licensee": "party:dev",
            "purpose": purpose,
            "territory": ("US", "DE", "GB")[i % 3],
            "artists": [[*_ARTISTS, "party:nobody"][i % (len(_ARTISTS) + 1)]],
            "metrics": {"revenue": {"amount": f"{4200 * (1 + i % 5)}.00", "currency": "USD"}},
        }
        for i in range(48)
        for purpose in ("training", "generation", "voice_replica")
    ]
    want = [_row(loaded.policy_set, u) for u in uses]
    table = table_of_uses(uses)
    for shown in (table.drop_columns(["works"]), table_of_uses([{**u, "works": []} for u in uses])):
        got, decider = _by_batches(loaded, shown, 25)
        _same(got, want)
        assert decider.stats["by_arrays"] == len(uses)
    assert any(row["payments"] for row in want)  # payees moved to each row's own
    assert {row["decision"] for row in want} >= {"deny", "pay"}


@pytest.mark.parametrize("key", _WORLD_SETS, ids=[f"{k[0].name}{list(k[2])}" for k in _WORLD_SETS])
def test_array_path_prices_each_row_with_its_own_payees_when_rounding_reads_them(
    key: tuple[Path, Path, tuple[str, ...]],
) -> None:
    """Rows of one class and the same revenue but other payees, where rounding changed an
    amount (so the tie rule reads the payees): each is priced by the core with its own
    artists and work, and every row is as `decide` answers it."""
    loaded = _loaded(*key)
    uses = [
        {
            "id": f"r{i}{purpose}",
            "date": "2026-05-01",
            "licensee": "party:dev",
            "purpose": purpose,
            "territory": "US",
            **({"works": [_WORKS[(0, 3, 4, 5)[i % 4]]]} if i % 5 else {}),
            "artists": [_ARTISTS[i % len(_ARTISTS)]],
            "metrics": {"revenue": {"amount": f"{1000 + i % 3}.07", "currency": "USD"}},
        }
        for i in range(60)
        for purpose in ("training", "generation")
    ]
    want = [_row(loaded.policy_set, u) for u in uses]
    got, decider = _by_batches(loaded, table_of_uses(uses), 40)
    _same(got, want)
    assert decider.stats["by_arrays"] == len(uses)
    if any(row["payments"] for row in want):
        assert decider.stats["priced_alone"] > 0


def test_data_set_arrays_alike_from_a_cached_data_set(tmp_path: Path) -> None:
    """The data set's groups and slots (`clausula.batch.columnar`) are the same whether the
    works are in memory or a cached data set's Arrow columns (read column by column), and
    the array path decides as `decide` with either."""
    from clausula.batch import BatchEvaluator
    from clausula.batch.columnar import CatalogueArrays
    from clausula.data_cache import ColumnarWorks
    from clausula.table import TableDecider

    policies, data, assume = _WORLD_SETS[0]
    plain = _loaded(policies, data, assume)
    clausula.load(policies, data=data, assume=assume, cache=tmp_path)  # writes the cache
    cached_set = clausula.load(policies, data=data, assume=assume, cache=tmp_path)
    assert isinstance(cached_set._records.catalogue.works, ColumnarWorks)
    cached = LoadedPolicy(cached_set, plain.checked)
    one, two = (CatalogueArrays(BatchEvaluator(p)) for p in (plain, cached))
    assert one.work_ids.equals(two.work_ids) and one.artist_ids.equals(two.artist_ids)
    for name in ("work_group", "slots", "count", "artist_group"):
        assert (getattr(one, name) == getattr(two, name)).all(), name
    assert (one.work_rep, one.artist_rep) == (two.work_rep, two.artist_rep)
    uses = [
        {
            "id": f"r{i}",
            "date": day,
            "licensee": "party:dev",
            "purpose": "training",
            "territory": "US",
            "works": [work],
        }
        for i, (work, day) in enumerate(
            (w, d) for w in _WORKS for d in _boundary_days((policies, data, assume))
        )
    ]
    decider = TableDecider(cached)
    got = pa.Table.from_batches(
        [decider.decide(b) for b in table_of_uses(uses).to_batches()], schema=result_schema()
    ).to_pylist()
    _same(got, [_row(cached_set, u) for u in uses])
    assert decider.stats["by_arrays"] > 0


def test_tables_of_one_thread_share_its_core_and_other_threads_have_their_own() -> None:
    """The batch core (its classes, its date boundaries) is made once per policy set and
    thread and kept: a second table decided on the thread finds it; another thread gets
    its own, never one in use elsewhere. Both decide alike."""
    import threading

    from clausula.table import TableDecider

    loaded = _loaded(*_WORLD_SETS[0])
    uses = [
        {"id": f"r{i}", "date": "2026-05-01", "licensee": "party:dev", "purpose": "training",
         "territory": "US", "works": [_WORKS[i % 4]]}
        for i in range(8)
    ]  # fmt: skip
    first, second = TableDecider(loaded), TableDecider(loaded)
    assert first.evaluator is second.evaluator
    classes = first.evaluator.stats["classes"]
    got = [first.decide(b) for b in table_of_uses(uses).to_batches()]
    learnt = first.evaluator.stats["classes"]
    again = [second.decide(b) for b in table_of_uses(uses).to_batches()]
    assert learnt >= classes and second.evaluator.stats["classes"] == learnt  # nothing new
    elsewhere: list[Any] = []

    def other() -> None:
        decider = TableDecider(loaded)
        elsewhere.append(decider.evaluator)
        elsewhere.append([decider.decide(b) for b in table_of_uses(uses).to_batches()])

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert elsewhere[0] is not first.evaluator
    rows = [
        pa.Table.from_batches(r, schema=result_schema()).to_pylist()
        for r in (got, again, elsewhere[1])
    ]
    assert rows[0] == rows[1] == rows[2]
    _same(rows[0], [_row(loaded.policy_set, u) for u in uses])


def test_rounded_payments_are_given_to_other_rows_only_where_rounding_reads_no_payee() -> None:
    """`_payee_slots`: a class's rounded payments go to the other rows of the class (each
    payee put in its place) when rounding changed nothing, or changed an amount without
    reading the payees (one line per currency); not when the tie rule chose between two
    payees of one currency — the rows are then priced each with their own payees."""
    from types import SimpleNamespace

    from clausula.money import Money
    from clausula.pricing import outcome_of
    from clausula.table import _payee_slots

    layout = SimpleNamespace(artists=("party:b", "party:a"), works=("isrc:QZCRP2600001",))

    def slots(lines: list[tuple[str, Money, str]]) -> Any:
        return _payee_slots(outcome_of(lines), lines, layout)

    half_cent = Money(Decimal("0.005"), "USD")
    assert slots([("party:b", half_cent, "r")]) == ((1, 0),)  # 0.01: no payee read
    assert slots(
        [("party:b", half_cent, "r"), ("party:a", Money(Decimal("0.005"), "EUR"), "r")]
    ) == ((1, 0), (1, 1))
    assert slots([("party:b", Money(Decimal("1"), "USD"), "r"), ("isrc:QZCRP2600001",
                  Money(Decimal("2"), "USD"), "r")]) == ((1, 0), (2, 0))  # fmt: skip
    # 0.01 for two: the tie goes to party:a, the smaller payee — another row's may not.
    assert slots([("party:b", half_cent, "r"), ("party:a", half_cent, "r")]) is None


def test_a_frame_is_remembered_by_its_cells_with_their_types() -> None:
    """Frames met in earlier batches are found again by their cells (`_cells_key`): cells
    equal in Python but of other types (`True` and `1`, `1` and `1.0`) name other frames,
    lists count as their items, and cells that cannot be a key are never remembered."""
    from clausula.table import _cells_key

    assert _cells_key({"facts.x": True}) != _cells_key({"facts.x": 1})
    assert _cells_key({"facts.x": 1}) != _cells_key({"facts.x": 1.0})
    assert _cells_key({"context": ["a", "b"]}) == _cells_key({"context": ["a", "b"]})
    assert _cells_key({"context": ["a", "b"]}) != _cells_key({"context": ["b", "a"]})
    assert _cells_key({"facts.x": {"a": 1}}) is None
