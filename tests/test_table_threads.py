"""Record batches decided on several threads (`clausula.table_threads`): results in the
batches' order, errors at their place, one decider per thread, nothing left running."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausula.batch import load_files
from clausula.table import decide_batches, kept_decider, table_of_uses
from clausula.table_threads import DEFAULT_WORKERS, MAX_WORKERS, in_order, workers_of

ROOT = Path(__file__).resolve().parent.parent


def _batches(sizes: list[int]) -> Iterator[pa.RecordBatch]:
    start = 0
    for size in sizes:
        yield pa.record_batch({"n": pa.array(range(start, start + size), pa.int64())})
        start += size


def _slow_copy(delays: list[float]) -> Callable[[], Callable[[pa.RecordBatch], pa.RecordBatch]]:
    """A decide that sleeps a drawn time per batch (so batches finish out of order)."""

    def make() -> Callable[[pa.RecordBatch], pa.RecordBatch]:
        def decide(batch: pa.RecordBatch) -> pa.RecordBatch:
            n = batch.num_rows
            time.sleep(delays[(batch.column(0)[0].as_py() if n else 0) % len(delays)])
            return batch

        return decide

    return make


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), max_size=12),
    delays=st.lists(st.sampled_from([0.0, 0.001, 0.004]), min_size=1, max_size=5),
    workers=st.integers(1, 4),
)
def test_results_come_in_the_batches_order(
    sizes: list[int], delays: list[float], workers: int
) -> None:
    got = [b.column(0).to_pylist() for b in in_order(_slow_copy(delays), _batches(sizes), workers)]
    assert got == [b.column(0).to_pylist() for b in _batches(sizes)]


def test_each_thread_makes_its_decide_once() -> None:
    made: list[int] = []

    def make() -> Callable[[pa.RecordBatch], pa.RecordBatch]:
        made.append(threading.get_ident())
        return lambda batch: batch

    list(in_order(make, _batches([1] * 50), 3))
    assert len(made) == len(set(made)) <= 3
    assert threading.get_ident() not in made  # decided on the pool, read here


def test_an_error_is_raised_when_its_result_is_due() -> None:
    def make() -> Callable[[pa.RecordBatch], pa.RecordBatch]:
        def decide(batch: pa.RecordBatch) -> pa.RecordBatch:
            if batch.column(0)[0].as_py() == 3:
                raise ValueError("row 3")
            return batch

        return decide

    got: list[int] = []
    with pytest.raises(ValueError, match="row 3"):
        for batch in in_order(make, _batches([1] * 8), 2):
            got.append(batch.column(0)[0].as_py())
    assert got == [0, 1, 2]


def test_stopping_early_leaves_nothing_running() -> None:
    running = threading.Event()
    started: list[int] = []

    def make() -> Callable[[pa.RecordBatch], pa.RecordBatch]:
        def decide(batch: pa.RecordBatch) -> pa.RecordBatch:
            started.append(batch.column(0)[0].as_py())
            running.set()
            time.sleep(0.01)
            running.clear()
            return batch

        return decide

    stream = in_order(make, _batches([1] * 100), 2)
    next(stream)
    stream.close()
    assert not running.is_set()
    assert len(started) <= 4  # the batches in flight when it stopped, not the rest


@pytest.mark.parametrize("bad", [0, MAX_WORKERS + 1, -1, True, 2.0, "2"])
def test_workers_out_of_range_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="workers must be"):
        workers_of(bad)
    with pytest.raises(ValueError, match="workers must be"):
        decide_batches(_loaded(), [], workers=bad)


def test_default_workers() -> None:
    assert workers_of(None) == DEFAULT_WORKERS
    assert 1 <= DEFAULT_WORKERS <= 2
    assert workers_of(MAX_WORKERS) == MAX_WORKERS


def _loaded() -> Any:
    return load_files([ROOT / "policies"])


_USE = {"id": "u1", "date": "2026-05-01", "licensee": "party:aria-labs", "purpose": "training",
        "territory": "US", "works": ["isrc:USRC17607839"]}  # fmt: skip


def test_a_thread_keeps_its_decider_per_template_and_drops_one_that_failed() -> None:
    loaded = _loaded()
    first = kept_decider(loaded, {"purpose": "training"})
    assert kept_decider(loaded, {"purpose": "training"}) is first
    assert kept_decider(loaded, {"purpose": "generation"}) is not first
    elsewhere: list[Any] = []
    thread = threading.Thread(
        target=lambda: elsewhere.append(kept_decider(loaded, {"purpose": "training"}))
    )
    thread.start()
    thread.join()
    assert elsewhere[0] is not first
    list(
        decide_batches(
            loaded, table_of_uses([_USE]).to_batches(), template={"purpose": "training"}, workers=1
        )
    )
    assert kept_decider(loaded, {"purpose": "training"}) is first
    broken = pa.record_batch({"works": pa.array([1], pa.int64())})
    with pytest.raises(Exception):  # noqa: B017 - whatever a bad column raises
        list(decide_batches(loaded, [broken], template={"purpose": "training"}, workers=1))
    assert kept_decider(loaded, {"purpose": "training"}) is not first
