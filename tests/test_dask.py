"""`clausula.dask.decide` over partitioned Parquet on a `distributed.LocalCluster` with two
worker processes: the same results as `decide_table` in one process, row for row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cluster_uses import POLICIES, need, uses_table

import clausula
from clausula.table import decide_table, result_schema


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    need("dask.dataframe")
    distributed = need("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def test_dask_over_partitioned_parquet_decides_as_one_process(client: Any, tmp_path: Path) -> None:
    import dask.dataframe as dd

    from clausula import dask as clausula_dask

    table = uses_table(150, seed=9)
    folder = tmp_path / "manifest"
    folder.mkdir()
    for part, start in enumerate(range(0, 150, 50)):
        pq.write_table(table.slice(start, 50), folder / f"part-{part}.parquet")
    ddf = dd.read_parquet(str(folder), dtype_backend="pyarrow")
    assert ddf.npartitions == 3
    decided = clausula_dask.decide(ddf, POLICIES).compute()
    result = pa.Table.from_pandas(decided, preserve_index=False)
    assert result.schema.names == result_schema().names
    expected = decide_table(clausula.load(POLICIES), table)
    assert result.cast(result_schema()).to_pylist() == expected.to_pylist()
    # The partitions were decided by the cluster's two worker processes, both still up.
    assert len(client.scheduler_info()["workers"]) == 2
    assert len(client.run(lambda: 1)) == 2
