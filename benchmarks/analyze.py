"""How long the SMT proofs take (issue 16). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/analyze.py

- `clausula analyze policies` on the shipped set (target < 10 s);
- `clausula diff policies/contracts/aria-optin.clause policies/contracts/label-blanket.clause
  --with policies/jurisdictions --data policies/data --prove` (target < 30 s).
Each is timed in this process, loading included (the command adds Python's start-up);
CPU time is printed beside wall time because the machines are shared.
"""

from __future__ import annotations

import time
from pathlib import Path

from clausula.prove.analyze import analyze
from clausula.prove.equivalence import prove

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"


def main() -> None:
    started, cpu = time.perf_counter(), time.process_time()
    report = analyze([POLICIES])
    analysed = time.perf_counter() - started
    print(
        f"analyze policies: {analysed:.2f} s wall, {time.process_time() - cpu:.2f} s CPU "
        f"({report.checks} checks, "
        f"{len(report.findings)} findings; target < 10 s)"
    )
    shared = [POLICIES / "jurisdictions", POLICIES / "vocabulary.clause"]
    started, cpu = time.perf_counter(), time.process_time()
    proof = prove(
        [POLICIES / "contracts" / "aria-optin.clause", *shared],
        [POLICIES / "contracts" / "label-blanket.clause", *shared],
        data=POLICIES / "data",
    )
    proved = time.perf_counter() - started
    print(
        f"diff --prove aria-optin vs label-blanket with the packs: {proved:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU "
        f"({proof.checks} checks, {len(proof.differences)} differences; target < 30 s)"
    )


if __name__ == "__main__":
    main()
