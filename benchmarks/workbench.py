"""How fast the workbench answers. Prints figures against their targets; asserts nothing.

    .venv/bin/python benchmarks/workbench.py [--repeat N]

On the shipped policies and scenario, through the same functions the page's API calls:
- diagnostics after an edit: a typo typed into contracts/aria-optin.clause, checked with
  every other clause file of the set (`editing.check_text`; target < 200 ms);
- the saved uses re-decided for a draft (`trying.decide_saved`, the regression view);
- a parameter change on scenarios/blanket-vs-optin.yaml: artist_pool 30% → 20%, the
  opt-in variant re-simulated once on the scenario's 23,571 uses (`negotiating.run`, the
  batch path; the baseline is kept, as the page does; target < 1 s).
Machines are shared and noisy: the median of the repeats is printed, with the best.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clausula.simulate import DrawnUsage
from clausula.workbench import editing, negotiating, trying
from clausula.workbench.files import PolicyFiles

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = "contracts/aria-optin.clause"
SCENARIO = "scenarios/blanket-vs-optin.yaml"


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """The median and best wall time of `work`, and its median processor time (what it
    takes on an idle core: a shared machine's wall time includes waiting for one), in
    seconds, after one warm-up call."""
    work()
    times, cpu = [], []
    for _ in range(repeat):
        started, processor = time.perf_counter(), time.process_time()
        work()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - processor)
    return statistics.median(times), min(times), statistics.median(cpu)


def show(what: str, median: float, best: float, cpu: float, target: float | None) -> None:
    verdict = ""
    if target is not None:
        verdict = f"   target < {target * 1000:,.0f} ms: {'met' if median < target else 'MISSED'}"
    print(
        f"{what:<58} median {median * 1000:8.1f} ms   best {best * 1000:8.1f} ms   "
        f"processor {cpu * 1000:8.1f} ms{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = PolicyFiles(ROOT / "policies")
    text = files.read(CONTRACT)
    typo = text.replace("artist_pool * use.revenue", "artist_pol * use.revenue")
    assert typo != text

    def check() -> None:
        result = editing.check_text(files, CONTRACT, typo)
        assert result["errors"] == 1

    figures = timed(check, args.repeat * 4)
    show("diagnostics after an edit (typo, whole set checked)", *figures, 0.2)

    uses = trying.saved_uses(files)
    draft = text.replace("parameter artist_pool = 30%", "parameter artist_pool = 20%")
    figures = timed(lambda: trying.decide_saved(files, CONTRACT, draft, uses), args.repeat)
    show(f"saved uses re-decided for a draft ({len(uses)} uses)", *figures, None)

    scenario = negotiating.open_scenario(files, SCENARIO)
    values = negotiating.literals(scenario, files, "opt-in", {"aria-optin-2026.artist_pool": "20"})
    # As the page does: the scenario's own values are run first (the baseline), which draws
    # the catalogue and the uses; a parameter change reuses them (`DrawnUsage`).
    drawn = DrawnUsage()
    negotiating.run(scenario, "opt-in", {}, drawn=drawn)
    figures = timed(lambda: negotiating.run(scenario, "opt-in", values, drawn=drawn), args.repeat)
    uses_run = negotiating.run(scenario, "opt-in", values, drawn=drawn)["uses"]
    show(f"parameter change on the shipped scenario ({uses_run:,} uses)", *figures, 1.0)


if __name__ == "__main__":
    main()
