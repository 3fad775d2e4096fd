"""How fast Clausula decides, parses and checks. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/decide.py [--quick]

Measures on the shipped example policy set:
- decisions per second one at a time (`PolicySet.decide`) and through `decide_many`, on
  the four example uses again and again: after the first round each is planned by the
  set's plan memo (`clausula.plan_memo`) and only priced;
- p50 and p99 latency of one decision, so;
- the same with every plan made: each example use on each day from 2026-06-01 on (3,600
  uses, each planned once), the cost of a use the memo has not seen;
- the time to parse and check a generated file of 10,000 clauses;
- decide throughput with 10, 1,000 and 100,000 contracts of other licensees loaded;
- decide throughput with the shipped grants alone and with 1,000,000 more consent grants
  (of other artists) in the consent ledger;
- with `--cedar` (in an environment with the peers harness's requirements, e.g.
  `.venv-peers`, see docs/performance.md): the p50 of Cedar on the peers harness in the
  same run, and our p50's ratio to it.
Machines are shared and noisy: compare the ratios printed in one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import clausula
from clausula.checker import check_policy
from clausula.diagnostics import DiagnosticSink
from clausula.parser import parse

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"

USES: list[dict[str, Any]] = [
    {  # generation in DE: pool by attribution, AI Act obligation
        "id": "gen-de",
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "purpose": "generation",
        "territory": "DE",
        "attribution": {"isni:0000000121032683": "0.6", "isni:0000000368570205": "0.4"},
        "output": {"synthetic_audio": True, "public": True},
        "metrics": {"revenue": {"amount": "1200.00", "currency": "USD"}, "generations": 40000},
    },
    {  # training under the opt-in terms, consents met, fees split
        "id": "train-de",
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "DE",
        "works": ["isrc:USUM71703861"],
    },
    {  # training denied: a performer gave no consent
        "id": "train-deny",
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "US-TN",
        "works": ["isrc:USEXL2500019"],
    },
    {  # blanket licence: flat share to the label
        "id": "blanket",
        "date": "2026-09-01",
        "licensee": "party:tessitura-ai",
        "purpose": "generation",
        "territory": "US",
        "metrics": {"revenue": {"amount": "500.00", "currency": "USD"}, "generations": 1000},
    },
]


def _per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def new_days(count: int) -> list[clausula.Use]:
    """Each example use on each of `count` days from 2026-06-01: every one its own plan."""
    first = dt.date(2026, 6, 1)
    return [
        clausula.parse_use({**use, "date": (first + dt.timedelta(days=day)).isoformat()})
        for day in range(count)
        for use in USES
    ]


def bench_new(policies: clausula.PolicySet, uses: list[clausula.Use]) -> dict[str, float]:
    """Rate and p50 of `decide` on uses that are each planned (none seen before)."""
    latencies: list[int] = []
    clock = time.perf_counter_ns
    gc.collect()
    start = time.perf_counter()
    for use in uses:
        begin = clock()
        policies.decide(use)
        latencies.append(clock() - begin)
    seconds = time.perf_counter() - start
    return {"single": len(uses) / seconds, "p50": statistics.median(latencies) / 1000}


def bench_decide(policies: clausula.PolicySet, rounds: int) -> dict[str, float]:
    uses = [clausula.parse_use(u) for u in USES]
    for use in uses:  # warm up
        policies.decide(use)
    latencies: list[int] = []
    clock = time.perf_counter_ns
    gc.collect()
    start = time.perf_counter()
    for _ in range(rounds):
        for use in uses:
            begin = clock()
            policies.decide(use)
            latencies.append(clock() - begin)
    single = time.perf_counter() - start
    batch = uses * rounds
    start = time.perf_counter()
    policies.decide_many(batch)
    many = time.perf_counter() - start
    latencies.sort()
    return {
        "single": len(latencies) / single,
        "many": len(batch) / many,
        "p50": statistics.median(latencies) / 1000,
        "p99": latencies[int(len(latencies) * 0.99)] / 1000,
    }


def generated_clauses(count: int) -> str:
    """One contract with `count` clauses of the kinds the shipped contracts use."""
    lines = [
        'contract "bench-10k" "Generated contract"',
        "  licensor party:example-label",
        "  licensee party:bench-labs",
        "  effective 2026-01-01 for 3 years",
        "  territory worldwide except CN, RU",
        "  scope catalogue of party:example-label",
        "  parameter pool = 30%",
        "  parameter floor = 0.002 USD",
    ]
    for i in range(count):
        kind = i % 4
        lines.append(f'  clause {i + 1} "Generated clause {i + 1}"')
        if kind == 0:
            lines.append("    permit training, fine_tuning, generation")
        elif kind == 1 and i == 1:  # the opt-in every payment needs (no findings)
            lines.append(
                "    require consent of each artist in use.touched for use.purpose in writing signed"
            )
        elif kind == 1:
            lines.append("    when use.purpose is generation and use.territory in EU")
            lines.append(
                "    require consent of each performer of use.works for use.purpose in writing signed"
            )
        elif kind == 2:
            lines.append(
                "    when use.purpose in (generation, voice_replica) and not (parody in use.context)"
            )
            lines.append(
                "    pay max(pool * use.revenue, floor * use.generations) * weight to each artist in use.attribution"
            )
        else:
            lines.append(f"    notwithstanding clause {i}")
            lines.append("    when use.output.synthetic_audio")
            lines.append('    oblige "Label the output as AI-generated"')
    return "\n".join(lines) + "\n"


def bench_parse_check(count: int) -> tuple[float, float, int]:
    """Parse the generated file, then parse and check it as `clausula check` does (with the
    shipped vocabulary)."""
    text = generated_clauses(count)
    vocabulary = (POLICIES / "vocabulary.clause").read_text()
    vocabulary_source, _ = parse(vocabulary, "vocabulary.clause")
    gc.collect()
    start = time.perf_counter()
    parse(text, "bench.clause")
    parsed = time.perf_counter() - start
    start = time.perf_counter()
    source, syntax = parse(text, "bench.clause")
    sink = DiagnosticSink()
    check_policy([vocabulary_source, source], sink)
    checked = time.perf_counter() - start
    return parsed, checked, len(syntax) + len(sink.items)


def other_contracts(count: int) -> str:
    return "".join(
        f'contract "other-{i}" "Licence to another developer"\n'
        f"  licensor party:example-label\n  licensee party:other-{i}\n"
        f"  effective 2026-01-01 for 3 years\n  territory worldwide\n"
        f"  scope catalogue of party:example-label\n"
        f'  clause 1 "Purposes"\n    permit training, generation\n'
        f'  clause 2 "Consent"\n    require consent of each performer of use.works for use.purpose in writing\n'
        for i in range(count)
    )


def bench_scaling(counts: list[int], rounds: int) -> list[tuple[int, float, float]]:
    results = []
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "policies"
            shutil.copytree(POLICIES, copy)
            (copy / "contracts" / "others.clause").write_text(other_contracts(count))
            start = time.perf_counter()
            policies = clausula.load(copy)
            loaded = time.perf_counter() - start
            figures = bench_new(policies, new_days(rounds // 4))
            results.append((count, loaded, figures["single"]))
    return results


def synthetic_ledger(extra: int) -> Any:
    """The shipped grants and revocations, plus `extra` grants of other artists (one each),
    as one in-memory consent ledger."""
    from clausula.catalogue import ConsentGrant
    from clausula.consent import FileConsentLedger

    shipped = clausula.load(POLICIES).data
    grants = list(shipped.grants.values())
    start = dt.date(2026, 1, 1)
    for i in range(extra):
        grants.append(
            ConsentGrant.model_construct(
                id=f"g-bench-{i}",
                grantor=f"party:bench-artist-{i}",
                on_behalf_of=None,
                grantee="any",
                purposes=["training", "generation"],
                territories=["worldwide"],
                except_territories=[],
                valid_from=start,
                valid_until=None,
                formalities=frozenset({"in_writing", "signed"}),
                signed_on=start,
                note=None,
            )
        )
    return FileConsentLedger(grants, shipped.revocations)


def bench_grants(extra: int, rounds: int) -> list[tuple[int, float, float]]:
    results = []
    for count in (0, extra):
        start = time.perf_counter()
        ledger = synthetic_ledger(count)
        policies = clausula.load(POLICIES, ledger=ledger)
        loaded = time.perf_counter() - start
        results.append((count, loaded, bench_new(policies, new_days(rounds // 4))["single"]))
    return results


def cedar_p50() -> float | None:
    """Cedar's p50 (µs) on the peers harness (1,000 artists, 10,000 requests), or None
    when the harness or cedarpy is not available here."""
    peers = ROOT.parent / "shared" / "bench" / "peers"
    sys.path.insert(0, str(peers))
    try:
        import common  # type: ignore[import-not-found]
        import engines  # type: ignore[import-not-found]
    except ImportError:
        return None
    finally:
        sys.path.remove(str(peers))
    artist_ids, consents = common.make_consents(1000)
    requests = common.make_requests(artist_ids, consents)
    try:
        variants = engines.build_cedar(artist_ids, consents, naive=False)
    except ImportError:
        return None
    variant = variants[0] if isinstance(variants, list) else variants
    figures = common.measure_per_call(variant.one, requests)
    return float(figures["p50_us"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller scaling run")
    parser.add_argument("--cedar", action="store_true", help="Cedar's p50 on the peers harness")
    args = parser.parse_args()
    rounds = 500 if args.quick else 5000
    policies = clausula.load(POLICIES)
    print(f"Python {sys.version.split()[0]}; shipped policies {policies.version[:19]}…")
    figures = bench_decide(policies, rounds)
    print(f"decide, one at a time : {figures['single']:>10,.0f} decisions/s")
    print(f"decide_many           : {figures['many']:>10,.0f} decisions/s")
    print(f"latency               : p50 {figures['p50']:.1f} µs, p99 {figures['p99']:.1f} µs")
    print(f"decide_many / one at a time: {figures['many'] / figures['single']:.2f}")
    new = bench_new(policies, new_days(900))
    print(
        f"every plan made       : {new['single']:>10,.0f} decisions/s, p50 {new['p50']:.1f} µs "
        "(each use on a day of its own)"
    )
    if args.cedar:
        cedar = cedar_p50()
        if cedar is None:
            print(
                "Cedar                 : not available (cedarpy or ../shared/bench/peers missing)"
            )
        else:
            print(
                f"Cedar on the peers harness: p50 {cedar:.1f} µs; "
                f"Cedar p50 / our p50 = {cedar / figures['p50']:.2f} "
                f"(every plan made: {cedar / new['p50']:.2f})"
            )
    parsed, checked, problems = bench_parse_check(10_000)
    print(
        f"10,000 clauses        : parsed in {parsed:.2f} s, parsed and checked in {checked:.2f} s"
        f" ({problems} diagnostics)"
    )
    counts = [10, 1_000, 10_000] if args.quick else [10, 1_000, 100_000]
    scaling = bench_scaling(counts, max(100, rounds // 5))
    base = scaling[0][2]
    for count, loaded, rate in scaling:
        print(
            f"{count:>7,} other contracts: load {loaded:6.2f} s, decide {rate:>9,.0f}/s "
            f"({rate / base:.2f} of the rate at {counts[0]})"
        )
    extra = 100_000 if args.quick else 1_000_000
    grants = bench_grants(extra, max(100, rounds // 5))
    for count, loaded, rate in grants:
        print(
            f"{count:>9,} more grants in the ledger: load {loaded:6.2f} s, decide {rate:>9,.0f}/s "
            f"({rate / grants[0][2]:.2f} of the rate with the shipped grants alone)"
        )


if __name__ == "__main__":
    main()
