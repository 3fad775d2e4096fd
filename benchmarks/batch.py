"""One at a time against batches, on the peers harness's requests. Prints figures and
ratios; asserts nothing.

    .venv-peers/bin/python benchmarks/batch.py [--requests 10000]

Needs the peers harness (`../shared/bench/peers`, see docs/performance.md) for its seeded
data, its translation of a request into a use dict and Cedar (cedarpy). In one run, on
the harness's policy (1,000 artists, opt-in consent, excluded territories, expiry, 12% of
revenue at least 0.50 USD):

- Cedar's p50, one request at a time (the harness's own variant);
- `PolicySet.decide` and `decide_outcome`, one use dict at a time: rate and p50;
- `decide_many` of all the use dicts at once (full decisions);
- `PolicySet.decide` one at a time on requests the set has not seen (the rows on new
  requests below are compared with it too: a new unknown artist's "did you mean" is
  looked for once, then remembered);
- `clausula.decide_outcomes` (compact outcomes through the batch core's classes): on a
  fresh policy set (every class planned on the way), again on the same requests (as the
  harness repeats them), and on as many *new* requests (another seed: new dates, revenue,
  artists' mix) after that — a pipeline's steady state, where the classes are known but
  the uses are not.

Then the same comparison on the shipped policies with every jurisdiction pack: the four
example uses of `benchmarks/decide.py`, each made into many with random dates (2026-06
to 2028-11), territories and revenue; one-at-a-time `decide_outcome` against
`decide_outcomes` on them (classes unknown) and on as many new ones (classes known).

Every outcome of `decide_outcomes` is checked against `decide_outcome` before timing.
The machine is shared and noisy: read the ratios, printed in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peers_harness import harness

import clausula
from clausula.batch.outcomes import WAYS, pace_of

ROOT = Path(__file__).resolve().parents[1]


def per_call(fn: Callable[[Any], Any], items: list[Any]) -> tuple[float, float]:
    """(decisions per second, p50 µs) of `fn` called on each item, after a warm-up."""
    for item in items[:200]:
        fn(item)
    gc.collect()
    clock = time.perf_counter_ns
    latencies = []
    start = time.perf_counter()
    for item in items:
        t0 = clock()
        fn(item)
        latencies.append(clock() - t0)
    seconds = time.perf_counter() - start
    return len(items) / seconds, statistics.median(latencies) / 1000


def batch_rate(fn: Callable[[list[Any]], Any], items: list[Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(items)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    common, engines, engines_clausula = harness()
    artist_ids, consents = common.make_consents(1000)
    requests = common.make_requests(artist_ids, consents, args.requests)
    fresh = common.make_requests(artist_ids, consents, args.requests, seed=8)

    def build() -> tuple[clausula.PolicySet, Callable[[dict[str, Any]], dict[str, Any]]]:
        variant = engines_clausula.build_clausula(artist_ids, consents, repeats=1)[0]
        return variant.policy_set, variant.to_use

    policies, to_use = build()
    cedar = engines.build_cedar(artist_ids, consents, naive=False)
    cedar = cedar[0] if isinstance(cedar, list) else cedar
    uses = [to_use(r) for r in requests]
    check = clausula.decide_outcomes(policies, uses)
    for use, outcome in zip(uses, check, strict=True):
        assert outcome == policies.decide_outcome(use)._replace(position=outcome.position), use

    cedar_rate, cedar_p50 = per_call(cedar.one, requests)
    decide_rate, decide_p50 = per_call(lambda r: policies.decide(to_use(r)), requests)
    outcome_rate, outcome_p50 = per_call(lambda r: policies.decide_outcome(to_use(r)), requests)
    many = batch_rate(lambda rs: policies.decide_many([to_use(r) for r in rs]), requests)
    # The same calls on requests this policy set has not seen (their unknown artists'
    # "did you mean" not yet remembered): what the rows on new requests below compare with.
    unseen = common.make_requests(artist_ids, consents, args.requests, seed=10)
    unseen_rate, unseen_p50 = per_call(lambda r: policies.decide(to_use(r)), unseen)
    cold_set, _ = build()  # nothing learnt yet
    pace = pace_of(cold_set)
    went = []

    def outcomes_rate(items: list[Any]) -> float:
        before = dict(pace.chunks)
        rate = batch_rate(
            lambda rs: clausula.decide_outcomes(cold_set, [to_use(r) for r in rs]), items
        )
        went.append(", ".join(f"{pace.chunks[w] - before[w]} {w}" for w in WAYS))
        return rate

    cold, again, new = outcomes_rate(requests), outcomes_rate(requests), outcomes_rate(fresh)
    third = common.make_requests(artist_ids, consents, args.requests, seed=9)
    table_cold, table_new, table_built = tables(build()[0], to_use, requests, fresh, third)
    print(f"{args.requests:,} requests, 1,000 artists; every decide_outcomes outcome checked")
    print(f"  Cedar, one at a time               {cedar_rate:>10,.0f}/s  p50 {cedar_p50:6.1f} µs")
    print(f"  decide, one use dict at a time     {decide_rate:>10,.0f}/s  p50 {decide_p50:6.1f} µs")
    print(
        f"  decide_outcome, one at a time      {outcome_rate:>10,.0f}/s  p50 {outcome_p50:6.1f} µs"
    )
    print(f"  decide_many (full decisions)       {many:>10,.0f}/s")
    print(f"  decide, new requests, one at a time {unseen_rate:>9,.0f}/s  p50 {unseen_p50:6.1f} µs")
    print(f"  decide_outcomes, classes unknown   {cold:>10,.0f}/s  (chunks: {went[0]})")
    print(f"  decide_outcomes, same requests     {again:>10,.0f}/s  (chunks: {went[1]})")
    print(f"  decide_outcomes, new requests      {new:>10,.0f}/s  (chunks: {went[2]})")
    print(f"  decide_table, classes unknown      {table_cold:>10,.0f}/s  (one thread)")
    print(f"  decide_table, new requests         {table_new:>10,.0f}/s  (one thread)")
    print(f"  the same, other new requests, table_of_uses included {table_built:>10,.0f}/s")
    print("ratios (same run):")
    print(f"  Cedar p50 / decide p50             {cedar_p50 / decide_p50:6.2f}  (target ≥ 5)")
    print(f"  Cedar p50 / decide_outcome p50     {cedar_p50 / outcome_p50:6.2f}")
    print(f"  decide_many / decide               {many / decide_rate:6.2f}  (target ≥ 1.5)")
    print(f"  decide_outcomes cold / decide      {cold / decide_rate:6.2f}")
    print(f"  decide_outcomes same / decide      {again / decide_rate:6.2f}")
    print(f"  decide_outcomes new / decide       {new / decide_rate:6.2f}  (target ≥ 1.5)")
    print(f"  the same / decide on new requests  {new / unseen_rate:6.2f}")
    print(f"  decide_table cold / decide         {table_cold / decide_rate:6.2f}")
    print(f"  decide_table new / decide          {table_new / decide_rate:6.2f}  (target ≥ 1.5)")
    print(f"  the same / decide on new requests  {table_new / unseen_rate:6.2f}")
    print(f"  the same with table_of_uses        {table_built / decide_rate:6.2f}")
    print(f"  the same / decide on new requests  {table_built / unseen_rate:6.2f}")
    shipped(args.requests)
    where_it_goes(build, to_use, requests, unseen)


def collected(call: Callable[[], Any]) -> tuple[float, float]:
    """(seconds, of which seconds in the cyclic collector) of `call()`, its result freed
    inside the time (as the harness frees a batch's answers)."""
    spent, began = [0.0], [0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - began[0]

    gc.collect()
    gc.callbacks.append(watch)
    try:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start, spent[0]
    finally:
        gc.callbacks.remove(watch)


def where_it_goes(
    build: Callable[[], tuple[clausula.PolicySet, Callable[[dict[str, Any]], dict[str, Any]]]],
    to_use: Callable[[dict[str, Any]], dict[str, Any]],
    requests: list[dict[str, Any]],
    unseen: list[dict[str, Any]],
) -> None:
    """Why batching does not pay on the harness's requests, in figures: what CPython's
    cyclic collector costs when 10,000 full decisions are kept (a batch's answers) rather
    than each dropped at once; and the batch core's classes forced on requests it has
    not seen — how few classes, how little their planning costs, and what placing each
    use in its class costs beside deciding it."""
    from clausula.batch.evaluator import kept_evaluator
    from clausula.batch.outcomes import _decide_outcomes

    policies, _ = build()
    decide = policies.decide
    n = len(requests)

    def one_by_one() -> None:
        for r in requests:
            decide(to_use(r))

    def many() -> None:
        policies.decide_many([to_use(r) for r in requests])

    one_by_one(), many()  # warm
    loop, loop_gc = collected(one_by_one)
    batch, batch_gc = collected(many)
    print("where a batch's time goes (harness requests, the same set for both):")
    print(
        f"  decide, each decision dropped      {n / loop:>10,.0f}/s  "
        f"collector {loop_gc * 1000:5.1f} ms per {n:,}"
    )
    print(
        f"  decide_many, {n:,} kept          {n / batch:>10,.0f}/s  "
        f"collector {batch_gc * 1000:5.1f} ms per {n:,}"
    )
    fresh, _ = build()
    core = kept_evaluator(fresh)
    uses = [to_use(r) for r in requests]
    _decide_outcomes(fresh, uses, "classes")  # every class of the harness's requests met
    new = [to_use(r) for r in unseen]
    gc.collect()
    start = time.perf_counter()
    _decide_outcomes(fresh, new, "classes")
    by_classes = (time.perf_counter() - start) / len(new)
    gc.collect()
    start = time.perf_counter()
    _decide_outcomes(fresh, new, "one_by_one")
    one = (time.perf_counter() - start) / len(new)
    print(
        f"  the batch core's classes: {core.stats['classes']:,} in {2 * n:,} requests, "
        f"planned in {core.planning_seconds * 1000:.0f} ms in all; on {len(new):,} new "
        f"requests a use costs {by_classes * 1e6:.1f} µs placed in its class and priced, "
        f"{one * 1e6:.1f} µs decided one by one"
    )


def tables(
    policies: clausula.PolicySet,
    to_use: Callable[[dict[str, Any]], dict[str, Any]],
    requests: list[dict[str, Any]],
    fresh: list[dict[str, Any]],
    third: list[dict[str, Any]],
) -> tuple[float, float, float]:
    """`decide_table` on one thread over the requests as an Arrow table (a usage log: no
    works, one artist per row): rows/s with nothing learnt; on new requests after that;
    and on a third set of new requests with `table_of_uses` (dicts → table) timed too.
    Every row of the last is checked against `decide_outcome` afterwards."""
    from clausula.table import decide_table, table_of_uses

    def table(items: list[dict[str, Any]], seed: int) -> Any:
        uses = [dict(to_use(r), id=f"{seed}-{i}") for i, r in enumerate(items)]
        return table_of_uses(uses).drop_columns(["works"])

    first, second = table(requests, 1), table(fresh, 2)
    cold = batch_rate(lambda t: decide_table(policies, t, workers=1), first)
    new = batch_rate(lambda t: decide_table(policies, t, workers=1), second)
    decided: list[Any] = []
    built = batch_rate(
        lambda items: decided.append(decide_table(policies, table(items, 3), workers=1)), third
    )
    for request, row in zip(third, decided[0].to_pylist(), strict=True):
        want = policies.decide_outcome(to_use(request))
        got = tuple((p["payee"], p["amount"], p["currency"], p["rule"]) for p in row["payments"])
        assert (row["decision"], got) == (want.decision, want.payments), request
    return cold, new, built


def shipped_uses(count: int, seed: int) -> list[dict[str, Any]]:
    """The example uses of benchmarks/decide.py, each drawn again with another date,
    territory and revenue."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from decide import USES

    rng = random.Random(seed)
    found = []
    for i in range(count):
        use = dict(rng.choice(USES), id=f"u{i}")
        use["date"] = (dt.date(2026, 6, 1) + dt.timedelta(days=rng.randrange(900))).isoformat()
        use["territory"] = rng.choice(["DE", "US", "US-TN", "FR", "GB", "US-CA", "JP", "DK"])
        if "metrics" in use:
            cents = rng.randrange(100, 500_000)
            revenue = {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"}
            use["metrics"] = {**use["metrics"], "revenue": revenue}
        found.append(use)
    return found


def shipped(count: int) -> None:
    """`decide_outcome` one at a time against `decide_outcomes` on the shipped policies."""
    policies = clausula.load(ROOT / "policies")
    first, second = shipped_uses(count, 1), shipped_uses(count, 2)
    for use, outcome in zip(
        second, clausula.decide_outcomes(clausula.load(ROOT / "policies"), second), strict=True
    ):
        assert outcome == policies.decide_outcome(use)._replace(position=outcome.position), use
    one = batch_rate(lambda uses: [policies.decide_outcome(u) for u in uses], second)
    cold = batch_rate(lambda uses: clausula.decide_outcomes(policies, uses), first)
    warm = batch_rate(lambda uses: clausula.decide_outcomes(policies, uses), second)
    print(f"shipped policies and packs, {count:,} uses drawn from the four examples:")
    print(f"  decide_outcome, one at a time      {one:>10,.0f}/s")
    print(f"  decide_outcomes, classes unknown   {cold:>10,.0f}/s  ({cold / one:.2f}×)")
    print(f"  decide_outcomes, new uses          {warm:>10,.0f}/s  ({warm / one:.2f}×)")


if __name__ == "__main__":
    main()
