"""Pausing Python's cyclic garbage collector while large structures are built.

Parsing, checking and compiling a policy set, and deciding a batch of uses, only allocate:
the objects they make are either kept or freed by reference counting. Meanwhile the
collector would walk the growing heap again and again for nothing (loading 20,000
contracts took 6.5 s with it running, 3.6 s with it paused). It resumes, and catches up,
when the work is done.

A batch whose answers are kept (`PolicySet.decide_many`) pauses it a chunk at a time
(`KEPT_PER_PAUSE`): every container a kept answer leaves must be walked once by the
collector whatever it does, and walked right after its chunk — a few thousand objects
still in the processor's caches — it costs less than all of a batch's answers walked at
its end (the peers harness: 10,000 decisions kept, 45,251/s paused for the whole batch,
56,239–63,280/s paused per chunk of 256–2,048, and a loop that drops each decision 92,901/s).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: Answers made while the collector is paused, at most, in a batch that keeps them all.
KEPT_PER_PAUSE: Final = 1024


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, unless it is off already."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
