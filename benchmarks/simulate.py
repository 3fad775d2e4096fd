"""Simulation speed: the example scenario, batch path against one-by-one decisions.

    .venv/bin/python benchmarks/simulate.py [--uses 1000000]

Scales the generation volume of `policies/scenarios/blanket-vs-optin.yaml` so that one run
holds about `--uses` uses, then decides them under both variants with the batch path
(`BatchEvaluator.tally`), and a sample of them one by one (`PolicySet.decide`) to
extrapolate what the one-use path would take. Prints uses per second for both, the
distinct shapes (structures computed) and the distinct (shape, metrics) answers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from clausula.batch import BatchEvaluator, UseColumns
from clausula.simulate import load_scenario
from clausula.simulate.run import _catalogue, load_variant
from clausula.simulate.usage import UsageGenerator

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "policies" / "scenarios" / "blanket-vs-optin.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uses", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="uses decided one by one")
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
    catalogue = _catalogue(scenario)
    started = time.perf_counter()
    first = next(iter(scenario.variants.values()))
    generator = UsageGenerator(scenario, catalogue, first.licensee)
    uses = generator.run(0)
    drawn = time.perf_counter() - started
    n = len(uses)
    print(f"scenario: {scenario.title}")
    print(
        f"uses in one run: {n:,} (drawn in {drawn:.1f} s); distinct shapes: {len(generator.shapes.base):,}"
    )
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
        print(
            f"{name:>8}: batch {n:,} uses in {batch:.1f} s = {n / batch:,.0f} uses/s "
            f"({evaluator.stats['structures']:,} structures, {len(answers):,} distinct answers, "
            f"{evaluator.stats['one_use']:,} fallbacks); one by one {per_use * 1e6:.0f} µs/use "
            f"= {1 / per_use:,.0f} uses/s, {per_use * n:.0f} s extrapolated"
        )
    print(
        f"total for {n:,} uses x {len(scenario.variants)} variants: batch {total_batch:.1f} s "
        f"(+ {drawn:.1f} s drawing the uses), one by one ~{total_one:.0f} s "
        f"(x{total_one / total_batch:.1f})"
    )


if __name__ == "__main__":
    main()
