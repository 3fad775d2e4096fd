"""Instructions per decision, counted by Valgrind: a figure a busy machine cannot move.

    .venv-peers/bin/python benchmarks/instructions.py [--uses 2000] [--parsed] [--memo] [--outcome] [--new]

Wall-clock figures on a shared machine move by a third from one run to the next; the
number of instructions a decision executes does not. This script runs a child process
under Valgrind's callgrind with instrumentation off, loads the policy set, decides every
use once to warm the memories a pipeline keeps warm (ids checked, amounts read, "did you
mean" answers), then switches instrumentation on for one pass of `PolicySet.decide` over
the same uses and prints the instructions per decision (counted inside `decide` only:
`--toggle-collect` on its compiled entry point, so the build must be compiled).

The uses are the peers harness's (`../shared/bench/peers`: 1,000 artists, its seeded
requests translated into use dicts as its Clausula variant does, plan memo off, as on
requests that do not repeat); `--parsed` decides `Use` objects parsed beforehand; `--memo`
keeps the plan memo on and every plan remembered (the warming pass plans them all). The
harness's own timed passes run mostly without the memo: their requests repeat only every
10,000, and the memo rests after a window of 4,096 lookups with few hits (`plan_memo`).
The default (memo off) is what the harness's p50 mostly measures. `--outcome` counts
`PolicySet.decide_outcome` (the compact form) instead of `decide`. `--new` counts on as
many requests the warming pass did not see (another seed: new revenues, new unknown
artists, artists met for the first time), as a pipeline's stream of new uses.
Compare two builds by running this in each. Needs `valgrind` (`apt-get install
valgrind`); prints what is missing otherwise. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / "shared" / "bench" / "peers"
# The compiled entry point of `PolicySet.decide` (mypyc names it so).
ENTRY = "CPyPy_policy_set___PolicySet___{call}"

CHILD = """
import gc, os, sys, time
sys.path.insert(0, {peers!r})
import common, engines_clausula
import clausula
artist_ids, consents = common.make_consents(1000)
requests = common.make_requests(artist_ids, consents, {uses})
variant = engines_clausula.build_clausula(artist_ids, consents, repeats=1)[0]
policies, to_use = variant.policy_set, variant.to_use
if not {memo}:
    policies._plans = None  # requests that do not repeat: no plan memo
uses = [to_use(r) for r in requests]
if {parsed}:
    uses = [clausula.parse_use(u, policies.vocabulary) for u in uses]
for use in uses:
    policies.decide_outcome(use)  # warm the memories, outside `decide`
if {new}:
    more = common.make_requests(artist_ids, consents, {uses}, seed=77)
    uses = [to_use(r) for r in more]
    if {parsed}:
        uses = [clausula.parse_use(u, policies.vocabulary) for u in uses]
gc.collect()
gc.freeze()
print("READY", flush=True)
time.sleep(2)
for use in uses:
    policies.{call}(use)
print("DONE", flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uses", type=int, default=2000)
    parser.add_argument("--parsed", action="store_true")
    parser.add_argument("--memo", action="store_true")
    parser.add_argument("--outcome", action="store_true")
    parser.add_argument("--new", action="store_true")
    args = parser.parse_args()
    missing = [tool for tool in ("valgrind", "callgrind_control") if shutil.which(tool) is None]
    if missing:
        print(f"needs {', '.join(missing)} (apt-get install valgrind): nothing measured")
        return
    if not PEERS.is_dir():
        print(f"needs the peers harness at {PEERS}: nothing measured")
        return
    import clausula.native

    if "clausula.policy_set" not in clausula.native.compiled_modules():
        print("the package runs from its sources: build it compiled (make) to count")
        return
    call = "decide_outcome" if args.outcome else "decide"
    with tempfile.TemporaryDirectory(prefix="clausula-instructions-") as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(
            CHILD.format(
                peers=str(PEERS),
                uses=args.uses,
                parsed=args.parsed,
                memo=args.memo,
                call=call,
                new=args.new,
            )
        )
        out, log = Path(tmp) / "callgrind.out", Path(tmp) / "child.log"
        with log.open("w") as sink:
            child = subprocess.Popen(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--instr-atstart=no",
                    f"--toggle-collect={ENTRY.format(call=call)}",
                    f"--callgrind-out-file={out}",
                    sys.executable,
                    str(script),
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
            while "READY" not in log.read_text() and child.poll() is None:
                time.sleep(0.5)
            subprocess.run(["callgrind_control", "-i", "on", str(child.pid)], check=False,
                           capture_output=True)  # fmt: skip
            child.wait()
        collected = [line for line in log.read_text().splitlines() if "Collected :" in line]
        if child.returncode or not collected:
            print(log.read_text()[-2000:])
            return
        total = int(collected[-1].rsplit(":", 1)[1].replace(",", ""))
    kind = ("parsed Use" if args.parsed else "use dict") + (", plan memo on" if args.memo else "")
    kind += ", new requests" if args.new else ""
    print(f"python {sys.version.split()[0]}, load {os.getloadavg()}")
    print(
        f"peers harness, {args.uses:,} uses ({kind}), PolicySet.{call}: "
        f"{total / args.uses:,.0f} instructions per decision"
    )


if __name__ == "__main__":
    main()
