"""Simulation speed: the example scenario, end to end and per variant, against one-by-one.

    .venv/bin/python benchmarks/simulate.py [--uses 1000000] [--sample 2000] [--workers N]

Scales the generation volume of `policies/scenarios/blanket-vs-optin.yaml` so that one run
holds about `--uses` uses, then:

1. runs `clausula simulate` on it end to end (`clausula.simulate.simulate`, one run, no
   sweeps, with `--workers` processes, default one per core): the catalogue, the policies
   of both variants, drawing the uses and deciding them under both variants. This is the
   figure the target is about (1,000,000 uses x 2 variants in under 30 s);
2. decides the same uses under each variant with the batch path in this process
   (`BatchEvaluator.tally`), with its counts: structures computed (one-use decisions of a
   representative), classes of shapes, distinct answers, fallbacks to the one-use path;
3. decides a sample of them one by one (`PolicySet.decide`) to extrapolate what the
   one-use path would take.

Wall-clock times depend on what else the machine runs; CPU times are printed beside them.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from clausula.batch import BatchEvaluator, UseColumns
from clausula.simulate import load_scenario, simulate
from clausula.simulate.run import _catalogue, default_workers, load_variant
from clausula.simulate.usage import UsageGenerator

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "policies" / "scenarios" / "blanket-vs-optin.yaml"


def _cpu() -> float:
    """CPU seconds of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uses", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="uses decided one by one")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    purposes = dict(scenario.usage.purposes)
    generation = purposes["generation"]
    months = scenario.months
    growth = float(generation.growth)
    volume = sum((1 + growth) ** m for m in range(months))
    per_month = max(1, round(args.uses / volume))
    purposes["generation"] = generation.model_copy(update={"uses_per_month": per_month})
    scenario = scenario.model_copy(
        update={"usage": scenario.usage.model_copy(update={"purposes": purposes})}
    )
    print(f"scenario: {scenario.title}")

    workers = default_workers() if args.workers is None else args.workers
    wall, cpu = time.perf_counter(), _cpu()
    result = simulate(scenario, runs=1, with_sweeps=False, workers=workers)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    n = result.uses_per_run[0]
    print(
        f"end to end (clausula simulate, 1 run, {len(result.variants)} variants, "
        f"{workers} worker(s)): {n:,} uses, {result.shapes:,} distinct shapes in {wall:.1f} s "
        f"(CPU {cpu:.1f} s) = {n * len(result.variants) / wall:,.0f} decisions/s"
    )

    catalogue = _catalogue(scenario)
    started = time.perf_counter()
    first = next(iter(scenario.variants.values()))
    generator = UsageGenerator(scenario, catalogue, first.licensee)
    uses = generator.run(0)
    drawn = time.perf_counter() - started
    print(f"in this process: uses drawn in {drawn:.1f} s")
    total_batch = 0.0
    total_one = 0.0
    for name, variant in scenario.variants.items():
        loaded = load_variant(scenario, name, catalogue.data, catalogue.label)
        columns = UseColumns(
            generator.shapes.for_licensee(variant.licensee),
            uses.shape,
            uses.revenue,
            uses.generations,
            uses.streams,
        )
        evaluator = BatchEvaluator(loaded)
        t0 = time.perf_counter()
        answers = evaluator.tally(columns)
        batch = time.perf_counter() - t0
        total_batch += batch
        sample = min(args.sample, n)
        step = max(1, n // sample)
        picked = [columns.at(i) for i in range(0, n, step)][:sample]
        t0 = time.perf_counter()
        for use in picked:
            loaded.policy_set.decide(use)
        per_use = (time.perf_counter() - t0) / len(picked)
        total_one += per_use * n
        stats = evaluator.stats
        print(
            f"{name:>8}: batch {n:,} uses in {batch:.1f} s = {n / batch:,.0f} uses/s "
            f"({stats['structures']:,} structures for {stats['classes']:,} classes of shapes, "
            f"{len(answers):,} distinct answers, {stats['one_use']:,} fallbacks); one by one "
            f"{per_use * 1e6:.0f} µs/use = {1 / per_use:,.0f} uses/s, {per_use * n:.0f} s "
            "extrapolated"
        )
    print(
        f"total for {n:,} uses x {len(scenario.variants)} variants in one process: batch "
        f"{total_batch:.1f} s (+ {drawn:.1f} s drawing the uses), one by one ~{total_one:.0f} s "
        f"(x{total_one / total_batch:.1f})"
    )


if __name__ == "__main__":
    main()
