"""How fast could a batch be on the peers harness, if it decided nothing? Prints figures and
ratios; asserts nothing.

    .venv-peers/bin/python benchmarks/batch_floor.py [--rounds 7]

Issue 13 asks `decide_many` for at least 1.5 times the rate of a loop of `decide` on the
harness's requests (or a lean result form that gets there). This script measures the
floor under any batch, in one process, rounds in shuffled order:

- the harness's loop: each request made into a use dict and decided (`decide`);
- the harness's batch: every use dict made first, then `decide_many`;
- the same batch shape with nothing decided: every use dict made, each read and checked
  (`read_use`, which every path pays) and given one fixed denial `Decision` (kept, as a
  batch keeps its answers) — the fastest `decide_many` could be with no planning and no
  pricing at all; and the same with one fixed compact `Outcome` per use (a lean form);
- the loop with nothing decided (each use read, one fixed decision), whose difference
  from the loop is what deciding costs a use there;
- one more way a batch could help on two cores: the second half of the uses decided in a
  forked process (`decide_outcome`, answers sent back pickled) while this one decides
  the first half.

Then what deciding may cost a use in a batch that runs 1.5 times the loop's rate, beside
what it costs in the loop; and how many of the requests share a plan (the plan memo's key:
date, licensee, purpose, territory, artists) or only an artist, licensee, purpose and
territory. The machine is shared and noisy: read the ratios of one run.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import pickle
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from peers_harness import harness

from clausula.collector import collector_paused
from clausula.plain_use import PlainRequest
from clausula.plan_memo import plan_key, request_key
from clausula.pricing import placed, plan_refusal, refused
from clausula.use_input import read_use


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    common, _, engines_clausula = harness()
    artist_ids, consents = common.make_consents(1000)
    requests = common.make_requests(artist_ids, consents, 10_000)
    variant = engines_clausula.build_clausula(artist_ids, consents, repeats=1)[0]
    policies, to_use, outcome = variant.policy_set, variant.to_use, engines_clausula.outcome
    vocabulary = policies.vocabulary
    decide, decide_outcome = policies.decide, policies.decide_outcome
    read = [read_use(to_use(r), vocabulary) for r in requests]
    denial = next(p for p in (policies._plan_of(u)[0] for u in read) if not p.licensed)
    fixed = refused(denial, None)

    def loop() -> None:
        for r in requests:
            outcome(decide(to_use(r)))

    def loop_nothing_decided() -> None:
        for r in requests:
            read_use(to_use(r), vocabulary)
            outcome(fixed)

    def many() -> None:
        for d in policies.decide_many([to_use(r) for r in requests]):
            outcome(d)

    def floor_full() -> None:
        uses = [to_use(r) for r in requests]
        with collector_paused():  # as decide_many pauses it
            decided = [refused(denial, read_use(u, vocabulary).id) for u in uses]
        for d in decided:
            outcome(d)

    def floor_lean() -> None:
        uses = [to_use(r) for r in requests]
        with collector_paused():  # `read_use` gives a request (always true) or raises
            answers = [
                placed(plan_refusal(denial), i)
                for i, u in enumerate(uses)
                if read_use(u, vocabulary)
            ]
        del answers

    def forked() -> None:
        uses = [to_use(r) for r in requests]
        half = len(uses) // 2
        context = mp.get_context("fork")
        mine, theirs = context.Pipe(duplex=False)
        worker = context.Process(target=_decide_half, args=(decide_outcome, uses[half:], theirs))
        worker.start()
        theirs.close()
        answers = [decide_outcome(u) for u in uses[:half]]
        answers += pickle.loads(mine.recv_bytes())
        worker.join()

    ways: dict[str, Callable[[], None]] = {
        "loop": loop,
        "loop, nothing decided": loop_nothing_decided,
        "decide_many": many,
        "batch, nothing decided": floor_full,
        "lean batch, nothing decided": floor_lean,
        "lean, half in a fork": forked,
    }
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for way in ways.values():
        way()  # warm
    for _ in range(args.rounds):
        order = list(ways.items())
        random.shuffle(order)
        for name, way in order:
            gc.collect()
            start = time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - start)
    n = len(requests)
    per_use = {name: statistics.median(s) / n * 1e6 for name, s in seconds.items()}
    print(f"{n:,} harness requests, median of {args.rounds} shuffled rounds (µs per request):")
    for name, micros in per_use.items():
        print(f"  {name:30s} {micros:6.2f} µs  {per_use['loop'] / micros:5.2f}× the loop")
    budget = per_use["loop"] / 1.5
    deciding = per_use["loop"] - per_use["loop, nothing decided"]
    print("what deciding may cost a use in a batch 1.5× the loop (the floor taken away):")
    print(f"  full decisions                 {budget - per_use['batch, nothing decided']:6.2f} µs")
    print(
        f"  a lean form                    {budget - per_use['lean batch, nothing decided']:6.2f} µs"
    )
    print(f"  what deciding costs in the loop {deciding:5.2f} µs")
    plans = {request_key(u) if isinstance(u, PlainRequest) else plan_key(u) for u in read}
    alike = {(tuple(u.artists), u.licensee, u.purpose, u.territory) for u in read}
    print(
        f"  {n:,} requests: {len(plans):,} distinct plan keys; "
        f"{len(alike):,} distinct (artists, licensee, purpose, territory)"
    )


def _decide_half(decide: Callable[[Any], Any], uses: list[Any], answers: Any) -> None:
    """In the forked process: decide `uses`, send the answers pickled, leave at once."""
    answers.send_bytes(pickle.dumps([decide(u) for u in uses], protocol=pickle.HIGHEST_PROTOCOL))
    answers.close()
    os._exit(0)


if __name__ == "__main__":
    main()
