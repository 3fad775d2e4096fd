"""Deciding a Spark DataFrame of uses on a cluster: `clausula.spark.decide(df, policies)`.

Each partition goes through `DataFrame.mapInArrow` as Arrow record batches into
`clausula.table.decide_batches`, so an executor decides exactly as one process does. The
policy set travels as a `PolicyBundle` (the bytes of its files and their digest) in one
broadcast: each executor fetches it once, and each Python worker loads it once and keeps
it (Spark reuses Python workers between tasks), keyed by the digest.

    from clausula import spark as clausula_spark
    decided = clausula_spark.decide(spark.read.parquet("s3://…/manifest"), "policies",
                                    template={"licensee": "party:aria-labs"})
    decided.write.parquet("s3://…/decided")

The result has the columns of `clausula.table.result_schema()`, row for row with the
input (within each partition, in order). docs/cluster.md shows how to run it on a cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from .bundle import PolicyBundle, checked_bundle, policy_of
from .table import decide_batches, result_schema


def decide(
    df: Any,
    policies: str | Path | PolicyBundle,
    *,
    template: Mapping[str, Any] | None = None,
    data: str | Path | None = None,
    assume: tuple[str, ...] = (),
    check: bool = True,
) -> Any:
    """Decide every row of the Spark DataFrame `df` (one column per use field, as
    `clausula.table.decide_table` takes them); a DataFrame of the result schema.

    `policies` is a policy directory (read here, on the driver) or a `PolicyBundle`.
    With `check` the driver loads the policy set first, so that a policy error is raised
    here, with its place, before any task starts.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    bundle = checked_bundle(policies, data=data, assume=assume, check=check)
    shipped = df.sparkSession.sparkContext.broadcast(bundle)
    fixed = dict(template or {})

    def decide_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        policy_set = policy_of(shipped.value)
        # The cluster fills the cores: one thread per task.
        yield from decide_batches(policy_set, batches, template=fixed, workers=1)

    return df.mapInArrow(decide_partition, from_arrow_schema(result_schema()))
