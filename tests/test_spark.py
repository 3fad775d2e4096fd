"""`clausula.spark.decide` on a local Spark (`local[2]`): the same results as
`decide_table` in one process, row for row. In CI a missing Java or pyspark fails."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from cluster_uses import POLICIES, need, need_java, uses_table

import clausula
from clausula.bundle import PolicyBundle
from clausula.table import decide_table, result_schema


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    need("pyspark")
    need_java()
    from pyspark.sql import SparkSession

    # The Python workers must be this interpreter (with clausula), not `python3` on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("clausula-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_decides_as_one_process(spark: Any) -> None:
    from clausula import spark as clausula_spark

    table = uses_table(120)
    df = spark.createDataFrame(table).repartition(3)
    # The order within the input is kept by mapInArrow, but repartition shuffles: join by id.
    decided = clausula_spark.decide(df, POLICIES).toArrow()
    assert decided.schema.names == result_schema().names
    expected = decide_table(clausula.load(POLICIES), table)
    by_id = {row["id"]: row for row in decided.to_pylist()}
    assert len(by_id) == table.num_rows
    assert [by_id[row["id"]] for row in expected.to_pylist()] == expected.to_pylist()


def test_spark_keeps_row_order_within_partitions(spark: Any) -> None:
    from clausula import spark as clausula_spark

    table = uses_table(40, seed=3)
    df = spark.createDataFrame(table).coalesce(1)
    bundle = PolicyBundle.from_path(POLICIES)
    decided = clausula_spark.decide(df, bundle).toArrow()
    assert decided.to_pylist() == decide_table(clausula.load(POLICIES), table).to_pylist()
