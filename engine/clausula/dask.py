"""Deciding a Dask DataFrame of uses on a cluster: `clausula.dask.decide(ddf, policies)`.

Each partition (typically one Parquet file or row group, read with
`dask.dataframe.read_parquet(…, dtype_backend="pyarrow")`) is turned into Arrow and
decided by `clausula.table.decide_table`, so a worker decides exactly as one process
does. The policy set travels as a `PolicyBundle` (the bytes of its files and their
digest): with a `distributed` client it is scattered to the workers once, and each worker
process loads it once and keeps it, keyed by the digest.

    import dask.dataframe as dd
    from clausula import dask as clausula_dask
    decided = clausula_dask.decide(dd.read_parquet("s3://…/manifest/"), "policies")
    decided.to_parquet("s3://…/decided/")

This module is `clausula.dask`: it imports the `dask` package by absolute name only.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from .bundle import PolicyBundle, checked_bundle, policy_of
from .table import decide_table, result_schema


def decide(
    ddf: Any,
    policies: str | Path | PolicyBundle,
    *,
    template: Mapping[str, Any] | None = None,
    data: str | Path | None = None,
    assume: tuple[str, ...] = (),
    check: bool = True,
) -> Any:
    """Decide every row of the Dask DataFrame `ddf` (one column per use field, as
    `clausula.table.decide_table` takes them); a lazy Dask DataFrame of the result
    schema, partition for partition and row for row with the input.

    `policies` is a policy directory (read here) or a `PolicyBundle`. With `check` the
    policy set is loaded here first, so that a policy error is raised before any task runs.
    """
    dd: Any = importlib.import_module("dask.dataframe")  # absolute: this module is `clausula.dask`
    bundle = checked_bundle(policies, data=data, assume=assume, check=check)
    shipped: Any = bundle
    try:
        distributed: Any = importlib.import_module("distributed")
        # Once to every worker, not once per task: tasks then refer to it by its key.
        shipped = distributed.default_client().scatter(bundle, broadcast=True, hash=False)
    except (ImportError, ValueError):
        pass  # no distributed client: the local schedulers share this process's bundle
    meta = result_schema().empty_table().to_pandas(types_mapper=_arrow_dtype)
    return dd.map_partitions(
        _decide_partition, ddf, shipped, dict(template or {}), meta=meta, align_dataframes=False
    )


def _decide_partition(frame: Any, bundle: PolicyBundle, template: dict[str, Any]) -> Any:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # The cluster fills the cores: one thread per task.
    decided = decide_table(policy_of(bundle), table, template=template, workers=1)
    return decided.to_pandas(types_mapper=_arrow_dtype)


def _arrow_dtype(arrow_type: pa.DataType) -> Any:
    """Every result column as pandas' Arrow-backed dtype: lists, structs and decimals kept
    exact (never object columns of floats)."""
    pandas: Any = importlib.import_module("pandas")
    return pandas.ArrowDtype(arrow_type)
