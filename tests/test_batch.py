"""The batch path decides exactly as the one-use path, on every use."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausula import UseError
from clausula.batch import BatchEvaluator, LoadedPolicy, UseColumns, analyse, load_files
from clausula.models import Decision
from clausula.use_input import parse_use

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"

WORKS = [
    "isrc:USUM71703861",
    "isrc:USEXL2400102",
    "isrc:DEEXL2500217",
    "isrc:USEXL7800045",
    "isrc:USEXL2300088",
    "isrc:GBEXL2400530",
    "isrc:QZIND2400007",
    "isrc:QZSIM2699999",  # not in the catalogue
]
ARTISTS = [
    "isni:0000000121032683",
    "isni:0000000368570205",
    "isni:0000000451273906",
    "isni:0000000498611239",
    "isni:0000000520744186",
]


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_files([POLICIES], data=POLICIES / "data", display_root=ROOT)


def _same(a: Decision | UseError, b: Decision | UseError) -> bool:
    if isinstance(a, UseError) or isinstance(b, UseError):
        return str(a) == str(b) and type(a) is type(b)
    return a.model_dump() == b.model_dump()


def _one(loaded: LoadedPolicy, use: Any) -> Decision | UseError:
    try:
        return loaded.policy_set.decide(use)
    except UseError as error:
        return error


shape = st.fixed_dictionaries(
    {
        "date": st.sampled_from(["2026-03-01", "2026-09-01", "2027-06-15", "2029-02-01"]),
        "licensee": st.sampled_from(["party:aria-labs", "party:tessitura-ai", "party:nobody"]),
        "purpose": st.sampled_from(
            [
                "training",
                "fine_tuning",
                "generation",
                "voice_replica",
                "style_imitation",
                "sampling",
            ]
        ),
        "territory": st.sampled_from(["US", "US-TN", "US-CA", "DE", "DK", "FR", "GB", "CN", "JP"]),
        "works": st.lists(st.sampled_from(WORKS), max_size=2, unique=True),
        "artists": st.lists(st.sampled_from(ARTISTS), max_size=2, unique=True),
        "attribution": st.lists(st.sampled_from(ARTISTS), max_size=3, unique=True),
        "output": st.fixed_dictionaries(
            {},
            optional={
                k: st.booleans()
                for k in (
                    "synthetic_audio",
                    "digital_replica",
                    "public",
                    "names_artist",
                    "labelled_ai",
                )
            },
        ),
        "context": st.lists(st.sampled_from(["parody", "news", "commentary"]), max_size=1),
        "commercial": st.booleans(),
    }
)
metrics = st.fixed_dictionaries(
    {
        "revenue": st.one_of(
            st.none(),
            st.builds(
                lambda cents, currency: {"amount": str(Decimal(cents) / 100), "currency": currency},
                st.integers(0, 10_000_000),
                st.sampled_from(["USD", "USD", "USD", "EUR"]),
            ),
        ),
        "generations": st.integers(0, 2_000_000),
        "streams": st.integers(0, 1000),
    }
)


def _use(
    base: dict[str, Any], metric: dict[str, Any], weights: list[int], i: int
) -> dict[str, Any]:
    attribution = base["attribution"]
    total = sum(weights[: len(attribution)]) or 1
    use = {**base, "id": f"u{i}", "metrics": {k: v for k, v in metric.items() if v is not None}}
    use["attribution"] = {
        a: str((Decimal(w) / total).quantize(Decimal("0.0001"), rounding="ROUND_DOWN"))
        for a, w in zip(attribution, weights, strict=False)
    }
    return use


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shapes=st.lists(shape, min_size=1, max_size=4),
    rows=st.lists(
        st.tuples(st.integers(0, 3), metrics, st.lists(st.integers(0, 9), min_size=3, max_size=3)),
        min_size=1,
        max_size=12,
    ),
)
def test_batch_agrees_with_one_use_path_on_every_use(
    loaded: LoadedPolicy, shapes: list[dict[str, Any]], rows: list[Any]
) -> None:
    uses = [_use(shapes[s % len(shapes)], m, w, i) for i, (s, m, w) in enumerate(rows)]
    batch = BatchEvaluator(loaded).decide_many(uses)
    for use, got in zip(uses, batch, strict=True):
        assert _same(got, _one(loaded, use)), use


def test_columns_and_tally_agree_with_one_use_path(loaded: LoadedPolicy) -> None:
    shapes = [
        parse_use(
            {
                "date": "2026-09-01",
                "licensee": "party:aria-labs",
                "purpose": purpose,
                "territory": territory,
                "works": ["isrc:USUM71703861"],
                "attribution": {"isni:0000000121032683": "0.6", "isni:0000000368570205": "0.4"},
            }
        )
        for purpose in ("generation", "training", "voice_replica")
        for territory in ("US", "DE", "CN")
    ]
    n = 400
    columns = UseColumns(
        shapes=shapes,
        shape=[i % len(shapes) for i in range(n)],
        revenue=[None if i % 7 == 0 else Decimal(i * 37 % 1000) / 4 for i in range(n)],
        generations=[i * 991 % 300_000 for i in range(n)],
        streams=[0] * n,
    )
    evaluator = BatchEvaluator(loaded)
    outcomes = list(evaluator.evaluate(columns))
    totals: Counter[str] = Counter()
    for i, outcome in enumerate(outcomes):
        expected = _one(loaded, columns.at(i))
        assert isinstance(expected, Decision)
        assert outcome.decision == expected.decision
        assert [p[:2] for p in outcome.payments] == [(p.payee, p.amount) for p in expected.payments]
        for p in expected.payments:
            totals[p.payee] += p.amount  # type: ignore[assignment]
    assert evaluator.stats["structures"] <= len(shapes)
    tallied: Counter[str] = Counter()
    for outcome, _, count in BatchEvaluator(loaded).tally(columns):
        for payee, amount, _, _ in outcome.payments:
            tallied[payee] += amount * count  # type: ignore[assignment]
    assert tallied == totals


def test_grouping_is_proved_safe_for_the_shipped_policies(loaded: LoadedPolicy) -> None:
    analysis = analyse(loaded.checked)
    assert analysis.groups_without_metrics


def test_a_condition_on_revenue_groups_with_metrics(tmp_path: Path) -> None:
    clause = tmp_path / "c.clause"
    clause.write_text(
        'contract "big" "Pays more on big revenue"\n'
        "  licensor party:example-label\n"
        "  licensee party:aria-labs\n"
        "  effective 2026-01-01 for 3 years\n"
        "  territory worldwide\n"
        "  scope all works\n"
        "  clause 1\n"
        "    permit generation\n"
        "  clause 2\n"
        "    when use.revenue > 100 USD\n"
        "    pay 10% * use.revenue to party:example-label\n",
        encoding="utf-8",
    )
    loaded = load_files([clause])
    evaluator = BatchEvaluator(loaded)
    assert not evaluator.analysis.groups_without_metrics
    uses = [
        {
            "date": "2026-09-01",
            "licensee": "party:aria-labs",
            "purpose": "generation",
            "territory": "US",
            "metrics": {"revenue": {"amount": str(amount), "currency": "USD"}},
        }
        for amount in (50, 150, 50, 500)
    ]
    for use, got in zip(uses, evaluator.decide_many(uses), strict=True):
        assert _same(got, _one(loaded, use))
