"""The peers harness (`../shared/bench/peers`, see docs/performance.md) for the benchmarks
that run on its seeded data: its modules, found on its path, or a plain message."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

PEERS = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "peers"


def harness() -> tuple[ModuleType, ModuleType, ModuleType]:
    """The harness's `common`, `engines` and `engines_clausula`, after a line saying which
    Python, how many cores and what load; exits with a message when it is not there."""
    sys.path.insert(0, str(PEERS))
    try:
        import common  # type: ignore[import-not-found]
        import engines  # type: ignore[import-not-found]
        import engines_clausula  # type: ignore[import-not-found]
    except ImportError as error:
        sys.exit(f"the peers harness is not available ({error}): see docs/performance.md")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
    return common, engines, engines_clausula
