"""The same manifest decided in one process, on a local Spark and on a local Dask cluster.

    .venv/bin/python benchmarks/cluster.py [--rows 1000000] [--partitions 8]
                                           [--artists 1000] [--works 10000] [--only spark,dask]
                                           [--data-cache]

Writes a Parquet manifest of `--rows` distinct uses (its own artist, work, date, territory,
purpose, licensee and revenue per row; benchmarks/catalogue_data.py's opt-in contracts
and catalogue) as `--partitions` files, then decides it:

- in-process: `clausula.table.decide_table` over the Parquet file's record batches;
- Spark `local[2]`: `clausula.spark.decide` (mapInArrow), written to Parquet;
- Dask `LocalCluster` with two worker processes: `clausula.dask.decide`, written to Parquet;

and prints rows/s for each and the overhead of each cluster against the in-process run
(wall time of the cluster run ÷ wall time in-process, both on this machine's cores). The
decision counts of the three runs are printed and must agree. Loading the policy set on
each worker is part of each cluster's time, as it would be on a real cluster.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa
import pyarrow.parquet as pq
from catalogue_data import LICENSEES, PURPOSES, isni, isrc, write_catalogue

import clausula
from clausula.table import decide_table

TERRITORIES = ("DE", "FR", "US", "GB", "JP", "BR", "RU", "IN", "CA", "AU")


def write_manifest(folder: Path, rows: int, parts: int, artists: int, works: int) -> None:
    rng = random.Random(15)
    per = -(-rows // parts)
    for part in range(parts):
        n = min(per, rows - part * per)
        if n <= 0:
            break
        table = pa.table(
            {
                "id": [f"u{part}-{i}" for i in range(n)],
                "date": [
                    f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(n)
                ],
                "licensee": [f"party:{rng.choice(LICENSEES)}" for _ in range(n)],
                "purpose": [rng.choice(PURPOSES) for _ in range(n)],
                "territory": [rng.choice(TERRITORIES) for _ in range(n)],
                "works": [[isrc(rng.randrange(works))] for _ in range(n)],
                "artists": [[isni(rng.randrange(artists))] for _ in range(n)],
                "revenue": [
                    f"{rng.randint(0, 100_000)}.{rng.randint(0, 99):02d}" for _ in range(n)
                ],
                "currency": ["USD"] * n,
            }
        )
        pq.write_table(table, folder / f"part-{part:04d}.parquet")


def counts(table: pa.Table) -> dict[str, int]:
    return dict(sorted(collections.Counter(table.column("decision").to_pylist()).items()))


def in_process(policies: Path, manifest: Path) -> tuple[float, float, dict[str, int]]:
    """(seconds in all, seconds of them loading the policy set, decision counts)."""
    start = time.perf_counter()
    loaded = clausula.load(policies)
    load = time.perf_counter() - start
    dataset = pq.ParquetDataset(str(manifest))
    decided = decide_table(loaded, dataset.read().to_batches(max_chunksize=65_536))
    return time.perf_counter() - start, load, counts(decided)


def on_spark(policies: Path, manifest: Path, out: Path) -> tuple[float, dict[str, int]]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    from clausula import spark as clausula_spark

    session: Any = (
        SparkSession.builder.master("local[2]")
        .appName("clausula-bench")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        start = time.perf_counter()
        df = session.read.parquet(str(manifest))
        clausula_spark.decide(df, policies).write.mode("overwrite").parquet(str(out))
        seconds = time.perf_counter() - start
    finally:
        session.stop()
    return seconds, counts(pq.ParquetDataset(str(out)).read(columns=["decision"]))


def on_dask(policies: Path, manifest: Path, out: Path) -> tuple[float, dict[str, int]]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from clausula import dask as clausula_dask

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with Client(cluster):
            start = time.perf_counter()
            ddf = dd.read_parquet(str(manifest), dtype_backend="pyarrow")
            clausula_dask.decide(ddf, policies).to_parquet(str(out), write_index=False)
            seconds = time.perf_counter() - start
    finally:
        cluster.close()
    return seconds, counts(pq.ParquetDataset(str(out)).read(columns=["decision"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--artists", type=int, default=1_000)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--only", default="spark,dask")
    parser.add_argument(
        "--data-cache",
        action="store_true",
        help="set CLAUSULA_CACHE_DIR for every load (driver, in-process, workers), written "
        "once before the timings: what docs/cluster.md advises for a large catalogue",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clausula-cluster-") as tmp:
        root = Path(tmp)
        policies = write_catalogue(root / "policies", args.artists, args.works)
        if args.data_cache:
            os.environ["CLAUSULA_CACHE_DIR"] = str(root / "data-cache")
            start = time.perf_counter()
            clausula.load(policies)
            print(f"data cache written in {time.perf_counter() - start:.1f} s")
        manifest = root / "manifest"
        manifest.mkdir()
        write_manifest(manifest, args.rows, args.partitions, args.artists, args.works)
        print(
            f"{args.rows:,} distinct uses in {args.partitions} Parquet files; "
            f"{args.artists:,} artists, {args.works:,} works"
        )
        base, load, expected = in_process(policies, manifest)
        print(
            f"  (in-process: loading the policy set {load:.1f} s, deciding "
            f"{args.rows / (base - load):,.0f} rows/s)"
        )
        print(
            f"  in-process decide_table   {base:8.1f} s  {args.rows / base:10,.0f} rows/s  {expected}"
        )
        runners = {"spark": on_spark, "dask": on_dask}
        for name in args.only.split(","):
            if not name:
                continue
            seconds, found = runners[name](policies, manifest, root / f"out-{name}")
            same = "same decisions" if found == expected else f"DIFFERENT: {found}"
            print(
                f"  {name:<5} (2 local workers)  {seconds:8.1f} s  {args.rows / seconds:10,.0f} rows/s"
                f"  overhead {seconds / base:.2f}x in-process wall time; {same}"
            )


if __name__ == "__main__":
    main()
