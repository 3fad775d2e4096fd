"""Cedar's p50 over ours on the peers harness, passes interleaved: a ratio a noisy machine
moves less. Prints figures; asserts nothing.

    .venv-peers/bin/python benchmarks/cedar_ratio.py [--rounds 5] [--no-memo]

The peers harness (`../shared/bench/peers`, docs/performance.md) times Cedar and then
Clausula once each, a minute apart; on a shared machine either p50 moves by a third from
one run to the next. Here the two run in turns in one process: each round times one pass
of the harness's 10,000 requests through Cedar (its pre-parsed variant) and one through
`PolicySet.decide` of a use dict (the harness's Clausula variant, translation included),
each call timed alone as the harness does, and prints both p50s and their ratio; then the
median ratio of the rounds.

`--no-memo` turns the plan memo off, as for requests that never repeat. Without it the
memo runs as the harness leaves it: its requests repeat every pass, but the memo rests
after a window of few hits (`plan_memo`), so most passes run without it.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

from peers_harness import harness


def _p50(one: object, requests: list[object]) -> float:
    """The p50 in µs of `one(request)` over `requests`, each call timed alone."""
    call = one  # a local: the loop below is the harness's own
    clock = time.perf_counter_ns
    spans = []
    gc.collect()
    for request in requests:
        start = clock()
        call(request)  # type: ignore[operator]
        spans.append(clock() - start)
    spans.sort()
    return spans[len(spans) // 2] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-memo", action="store_true")
    args = parser.parse_args()
    common, engines, engines_clausula = harness()
    artist_ids, consents = common.make_consents(1000)
    requests = common.make_requests(artist_ids, consents, 10_000)
    reference = [common.decide(r, consents) for r in requests]
    cedar = next(
        v
        for v in engines.build_cedar(artist_ids, consents, repeats=1, naive=False)
        if "pre-parsed" in v.label
    )
    ours = engines_clausula.build_clausula(artist_ids, consents, repeats=1)[0]
    if args.no_memo:
        ours.policy_set._plans = None
    for variant in (cedar, ours):  # agreement first, and every memory warmed
        answers = [variant.one(r) for r in requests]
        wrong = sum(
            a[0] != b[0] or (variant.pays and a[1] != b[1])
            for a, b in zip(answers, reference, strict=True)
        )
        print(f"{variant.label}: {wrong} of {len(requests):,} differ from the reference")
    print(f"load {os.getloadavg()[0]:.2f}; plan memo {'off' if args.no_memo else 'as left'}")
    ratios = []
    for round_ in range(1, args.rounds + 1):
        theirs = _p50(cedar.one, requests)
        mine = _p50(ours.one, requests)
        ratios.append(theirs / mine)
        print(
            f"round {round_}: Cedar p50 {theirs:6.1f} µs, Clausula p50 {mine:5.1f} µs, "
            f"Cedar / Clausula {theirs / mine:.2f}"
        )
    print(f"median Cedar / Clausula over {args.rounds} rounds: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
