"""Columnar decisions at catalogue scale: `decide_table` beside a Polars join, in one run.

    .venv/bin/python benchmarks/table.py [--artists 100000] [--works 1000000]
        [--rows 1000000] [--distinct 0] [--stream-rows 10000000] [--batch 65536] [--repeat 1]

Prints figures; asserts nothing. What it does:

1. A synthetic catalogue (`clausula.simulate.catalogue.generate`): `--artists` artists,
   `--works` works with Zipf popularity, 15% with a featured artist, 60% of artists
   opted in to training and 50% to generation; loaded with the shipped opt-in contract
   (`policies/contracts/aria-optin.clause`) and every shipped jurisdiction.
2. A Parquet manifest of `--rows` rows for `party:aria-labs`: the works in a random order
   (`--distinct 0`: every row its own work, the worst case for grouping; `--distinct N`:
   rows drawn from N works by popularity), purposes training / fine_tuning / generation,
   ten territories (CN excluded by the contract), dates over 2026–2028, and for
   generation rows revenue and generations.
3. Timed end to end in one process: read the Parquet file, `decide_batches`, write the
   decisions as Parquet: first another manifest of the same catalogue (that call also
   builds what is built once per data set: its arrays, `clausula.batch.columnar`, and
   each thread's batch core with its date boundaries), then new rows on one thread
   (`workers=1`), then this one on the default threads (`table_threads.DEFAULT_WORKERS`,
   two on two cores): the figure compared. Beside it, on the same rows: Polars read → join of the works'
   performers with a consent table (artist, purpose) → all performers consented → write,
   and the ratio of the two; and what reading the manifest and writing its decided rows
   cost alone (the most rows/s any decider could reach end to end), and Polars' join
   alone with the rows in memory (the simplest form of the decision, with no reading or
   writing: what this machine's cores give a columnar engine). `--repeat N` times
   N − 1 more new manifests the same way, Polars and ours back to back on each, and
   prints each ratio and their median (this machine is shared: one pair can be off by a
   third).
4. Peak memory (ru_maxrss) while `--stream-rows` rows are generated batch by batch and
   streamed through `decide_batches` (nothing kept), beside the resident size before.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from clausula.batch import load_files
from clausula.simulate.catalogue import SyntheticData, generate
from clausula.simulate.scenario import SyntheticCatalogue
from clausula.table import decide_batches
from clausula.table_files import parquet_writer
from clausula.table_threads import DEFAULT_WORKERS

ROOT = Path(__file__).resolve().parents[1]
POLICIES = [ROOT / "policies/contracts/aria-optin.clause", ROOT / "policies/jurisdictions"]
PURPOSES = np.array(["training", "training", "fine_tuning", "generation"], dtype=object)
TERRITORIES = np.array(["US", "DE", "FR", "GB", "JP", "US-CA", "US-TN", "SE", "BR", "CN"])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def manifest(syn: SyntheticData, rows: int, distinct: int, seed: int, start: int = 0) -> pa.Table:
    """`rows` uses of the catalogue's works (see the module docstring)."""
    rng = np.random.default_rng([seed, start])
    n_works = len(syn.works)
    if distinct <= 0:
        picked = rng.permutation(n_works) if rows <= n_works else rng.integers(0, n_works, rows)
        picked = picked[:rows]
    else:
        pool = rng.choice(n_works, size=min(distinct, n_works), replace=False, p=syn.popularity)
        picked = pool[rng.integers(0, len(pool), rows)]
    works = np.asarray(syn.works, dtype=object)[picked]
    purpose = PURPOSES[rng.integers(0, len(PURPOSES), rows)]
    generation = purpose == "generation"
    cents = rng.integers(1, 2_000_00, rows)
    revenue = pa.array(
        [
            f"{c // 100}.{c % 100:02d}" if g else None
            for c, g in zip(cents.tolist(), generation, strict=True)
        ],
        pa.string(),
    )
    dates = np.datetime64("2026-01-01") + rng.integers(0, 3 * 365, rows).astype("timedelta64[D]")
    return pa.table(
        {
            "id": pa.array([f"row-{start + i}" for i in range(rows)]),
            "date": pa.array(dates.astype("datetime64[D]")),
            "licensee": pa.array(np.full(rows, "party:aria-labs", dtype=object)),
            "purpose": pa.array(purpose),
            "territory": pa.array(TERRITORIES[rng.integers(0, len(TERRITORIES), rows)]),
            "work": pa.array(works),
            "revenue": revenue,
            "currency": pa.array(np.where(generation, "USD", None)),
            "generations": pa.array(np.where(generation, rng.integers(1, 500, rows), 0)),
        }
    )


def consent_table(syn: SyntheticData) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The works' performers and the artists' consents (artist, purpose) as Polars frames."""
    performers = pl.DataFrame(
        {"work": list(syn.works), "artist": [list(p) for p in syn.performers]}
    ).explode("artist")
    grants = [
        (g.grantor, p)
        for g in syn.data.grants.values()
        for p in g.purposes  # type: ignore[attr-defined]
    ]
    consents = pl.DataFrame(grants, schema=["artist", "granted"], orient="row")
    consents = consents.with_columns(pl.lit(True).alias("ok"))
    return performers, consents


def polars_decide(path: Path, out: Path, performers: pl.DataFrame, consents: pl.DataFrame) -> int:
    """Read → join performers and consents → every performer consented, not in CN → write."""
    decided = polars_join(pl.read_parquet(path), performers, consents)
    decided.write_parquet(out)
    return decided.height


def polars_join(
    rows: pl.DataFrame, performers: pl.DataFrame, consents: pl.DataFrame
) -> pl.DataFrame:
    """The rows with `allow`: every performer of the row's work consented to its purpose,
    and the territory is not CN (the join `polars_decide` times between reading and
    writing)."""
    rows = rows.with_row_index("row")
    joined = rows.select("row", "work", "purpose").join(performers, on="work", how="left")
    joined = joined.join(
        consents, left_on=["artist", "purpose"], right_on=["artist", "granted"], how="left"
    )
    allowed = joined.group_by("row").agg(pl.col("ok").fill_null(False).all().alias("allow"))
    return rows.join(allowed, on="row", how="left").with_columns(
        (pl.col("allow") & (pl.col("territory") != "CN")).alias("allow")
    )


def polars_in_memory(path: Path, performers: pl.DataFrame, consents: pl.DataFrame) -> float:
    """The seconds of `polars_join` alone, the rows read beforehand (best of three): what
    the simplest form of the decision costs this machine with no reading or writing."""
    rows = pl.read_parquet(path)
    return min(timed(lambda: polars_join(rows, performers, consents))[0] for _ in range(3))


def clausula_decide(
    loaded: object, path: Path, out: Path, batch: int, workers: int | None = None
) -> dict[str, int]:
    counts: dict[str, int] = {}
    source = pq.ParquetFile(path)
    writer: pq.ParquetWriter | None = None
    batches = source.iter_batches(batch_size=batch)
    for result in decide_batches(loaded, batches, workers=workers):  # type: ignore[arg-type]
        if writer is None:
            writer = parquet_writer(out, result.schema)
        writer.write_batch(result)
        for item in pa.compute.value_counts(result.column("decision")).to_pylist():
            counts[item["values"]] = counts.get(item["values"], 0) + item["counts"]
    if writer is not None:
        writer.close()
    return counts


def io_floor(path: Path, out: Path, batch: int) -> tuple[float, float, float]:
    """What reading the manifest and writing its decided rows cost with no deciding at
    all (seconds, best of three each): the manifest read in record batches as
    `clausula_decide` reads it, or whole on every core (the faster of the two); the decided rows (`out`, read into memory first) written
    batch by batch with the same writer; and the same rows written by Polars' writer,
    which encodes row groups on every core."""
    decided = pq.read_table(out)
    frame = pl.from_arrow(decided)
    assert isinstance(frame, pl.DataFrame)
    with tempfile.TemporaryDirectory(prefix="clausula-io-") as tmp:
        target = Path(tmp) / "written.parquet"

        def read() -> int:
            return sum(part.num_rows for part in pq.ParquetFile(path).iter_batches(batch))

        def read_whole() -> int:  # on every core at once (Arrow's threads)
            return int(pq.read_table(path).num_rows)

        def write() -> None:
            writer = parquet_writer(target, decided.schema)
            for part in decided.to_batches(batch):
                writer.write_batch(part)
            writer.close()

        reads = [timed(read)[0] for _ in range(3)] + [timed(read_whole)[0] for _ in range(3)]
        writes = [timed(write)[0] for _ in range(3)]
        polars_writes = [timed(lambda: frame.write_parquet(target))[0] for _ in range(3)]
    return min(reads), min(writes), min(polars_writes)


T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """The seconds `call()` takes, the collector run just before; and what it gave."""
    gc.collect()
    t0 = time.perf_counter()
    result = call()
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artists", type=int, default=100_000)
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=0)
    parser.add_argument("--stream-rows", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=65_536)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=1)
    a = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()}")
    t0 = time.perf_counter()
    spec = SyntheticCatalogue(
        artists=a.artists,
        works=a.works,
        rights_holder="party:example-label",
        opt_in={"training": "0.6", "fine_tuning": "0.6", "generation": "0.5"},
    )
    syn = generate(spec, a.seed)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    loaded = load_files(POLICIES, catalogue=syn.data, catalogue_label=syn.label)
    t_load = time.perf_counter() - t0
    print(f"catalogue: {a.artists:,} artists, {a.works:,} works generated in {t_gen:.1f} s, "
          f"loaded with the policies in {t_load:.1f} s")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="clausula-table-") as tmp:
        path = Path(tmp) / "manifest.parquet"
        pq.write_table(manifest(syn, a.rows, a.distinct, a.seed), path)
        print(f"manifest: {a.rows:,} rows ({'every row its own work' if a.distinct <= 0 else f'{a.distinct:,} works'}), "
              f"{path.stat().st_size / 1e6:.1f} MB Parquet")  # fmt: skip
        performers, consents = consent_table(syn)
        polars_out = Path(tmp) / "polars.parquet"
        t_pl, _ = timed(lambda: polars_decide(path, polars_out, performers, consents))
        # First another manifest of the same catalogue: the data set's arrays
        # (clausula.batch.columnar) and the thread's batch core are built once per data
        # set and kept, as in a pipeline that decides manifest after manifest.
        # The first manifest on the default threads (two on two cores), then once more on
        # this thread alone, so that each way's cores have seen a manifest before it is
        # timed on new rows.
        warm = Path(tmp) / "earlier.parquet"
        pq.write_table(manifest(syn, a.rows, a.distinct, a.seed + 2), warm)
        out = Path(tmp) / "clausula.parquet"
        t_first, _ = timed(lambda: clausula_decide(loaded, warm, out, a.batch))
        clausula_decide(loaded, warm, out, a.batch, workers=1)
        alone = Path(tmp) / "alone.parquet"
        pq.write_table(manifest(syn, a.rows, a.distinct, a.seed + 4), alone)
        t_one, _ = timed(lambda: clausula_decide(loaded, alone, out, a.batch, workers=1))
        t_cl, counts = timed(lambda: clausula_decide(loaded, path, out, a.batch))
        print(f"  Polars read → join → write   {a.rows / t_pl:>12,.0f} rows/s ({t_pl:.2f} s)")
        print(f"  decide_table, first manifest {a.rows / t_first:>12,.0f} rows/s ({t_first:.2f} s: "
              "other rows, with what is built once per data set)")  # fmt: skip
        print(f"  decide_table, next manifest, one thread "
              f"{a.rows / t_one:>12,.0f} rows/s ({t_one:.2f} s)")  # fmt: skip
        print(
            f"  decide_table, next manifest, {DEFAULT_WORKERS} threads "
            f"{a.rows / t_cl:>12,.0f} rows/s ({t_cl:.2f} s) {dict(sorted(counts.items()))}"
        )
        print(
            f"  ratio decide_table / Polars  {t_pl / t_cl:.4f}  "
            f"(target ≥ 1; ≥ 3,000,000 rows/s: {'met' if a.rows / t_cl >= 3e6 else 'NOT met'})"
        )
        t_read, t_write, t_polars = io_floor(path, out, a.batch)
        print(
            f"  I/O alone: reading the manifest {t_read:.2f} s, writing its decided rows "
            f"{t_write:.2f} s (Polars' writer: {t_polars:.2f} s): at most "
            f"{a.rows / (t_read + min(t_write, t_polars)):,.0f} rows/s before any deciding"
        )
        t_join = polars_in_memory(path, performers, consents)
        print(
            f"  deciding alone: Polars' join with the rows in memory (no reading, no writing) "
            f"{a.rows / t_join:,.0f} rows/s ({t_join:.2f} s); with the reading added, "
            f"{a.rows / (t_read + t_join):,.0f} rows/s"
        )
        ratios = [t_pl / t_cl]
        for k in range(1, a.repeat):
            pq.write_table(manifest(syn, a.rows, a.distinct, a.seed + 10 + k), path)
            t_pl, _ = timed(lambda: polars_decide(path, polars_out, performers, consents))
            t_cl, _ = timed(lambda: clausula_decide(loaded, path, out, a.batch))
            ratios.append(t_pl / t_cl)
            print(
                f"  new manifest {k + 1}: Polars {a.rows / t_pl:,.0f} rows/s ({t_pl:.2f} s), "
                f"decide_table {a.rows / t_cl:,.0f} rows/s ({t_cl:.2f} s), ratio {t_pl / t_cl:.4f}"
            )
        if a.repeat > 1:
            print(f"  median ratio decide_table / Polars over {a.repeat} manifests  "
                  f"{sorted(ratios)[len(ratios) // 2]:.4f}")  # fmt: skip
    if a.stream_rows:
        gc.collect()
        before = rss_mb()

        def stream() -> Iterator[pa.RecordBatch]:
            done = 0
            while done < a.stream_rows:
                size = min(a.batch, a.stream_rows - done)
                yield from manifest(syn, size, a.distinct, a.seed + 1, done).to_batches()
                done += size

        t0 = time.perf_counter()
        n = sum(len(r) for r in decide_batches(loaded, stream()))
        t_st = time.perf_counter() - t0
        print(f"streamed {n:,} rows in {t_st:.1f} s ({n / t_st:,.0f} rows/s, generation "
              f"included): peak RSS {rss_mb():,.0f} MB (catalogue and policies "
              f"loaded: {before:,.0f} MB); target < 1,024 MB")  # fmt: skip


if __name__ == "__main__":
    main()
