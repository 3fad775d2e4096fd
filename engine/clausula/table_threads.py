"""Record batches decided on several threads, their results handed back in order.

Most of a batch's work in `decide_table` is NumPy and Arrow compute, which release the
interpreter lock: two threads deciding two batches keep both of this machine's cores busy
(1,000,000 rows: 2.55 s on one thread, 1.56 s on two — docs/performance.md), and reading
and writing Parquet overlap with deciding.

Each thread decides with a `TableDecider` of its own (one is not thread-safe) and so with
its own batch core (`kept_evaluator`): a thread never shares what it learns, and results
do not depend on which thread decided a batch — every thread's answer is `decide`'s. The
threads are kept, one pool per number of workers, so that their cores (the classes they
learnt) serve the next table, as one thread's core does.

At most `workers + 1` batches are in flight beside the one the caller holds, so memory
stays bounded by a few batches whatever the stream's length.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait

import pyarrow as pa

#: Threads `decide_batches` uses when the caller does not say: two, or one on a machine
#: of one core. More threads than two gain little: the Python steps of a batch hold the
#: interpreter lock.
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
#: The most threads one call may ask for.
MAX_WORKERS = 16

_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def workers_of(workers: int | None) -> int:
    """The number of threads to use: `DEFAULT_WORKERS` for None; otherwise `workers`,
    which must be from 1 to `MAX_WORKERS`."""
    if workers is None:
        return DEFAULT_WORKERS
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be a whole number from 1 to {MAX_WORKERS}, not {workers!r}")
    return workers


def _pool(workers: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ThreadPoolExecutor(
                workers, thread_name_prefix=f"clausula-table-{workers}"
            )
        return pool


def in_order(
    make_decide: Callable[[], Callable[[pa.RecordBatch], pa.RecordBatch]],
    batches: Iterable[pa.RecordBatch],
    workers: int,
) -> Iterator[pa.RecordBatch]:
    """`decide(batch)` for each batch, on `workers` threads, yielded in the batches' order.

    `make_decide()` is called once on each thread that takes a batch, to make that
    thread's own `decide`. The batches are read on the caller's thread. An error raised
    deciding a batch is raised here, when its result is due; when the caller stops early,
    the batches not yet started are dropped and those started are waited for."""
    pool = _pool(workers)
    own: dict[int, Callable[[pa.RecordBatch], pa.RecordBatch]] = {}

    def decide(batch: pa.RecordBatch) -> pa.RecordBatch:
        thread = threading.get_ident()
        decide_here = own.get(thread)
        if decide_here is None:  # only this thread writes its own entry
            decide_here = own[thread] = make_decide()
        return decide_here(batch)

    pending: deque[Future[pa.RecordBatch]] = deque()
    try:
        for batch in batches:
            pending.append(pool.submit(decide, batch))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        wait(pending)


__all__ = ["DEFAULT_WORKERS", "MAX_WORKERS", "in_order", "workers_of"]
