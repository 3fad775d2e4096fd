"""How fast the manifest filter decides a large training manifest. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/filter.py [--rows 1000000] [--distinct 10000] [--cli]

Generates a manifest of `--rows` rows (columns `work,path,bytes`) into a temporary
directory, streaming, then filters it with the shipped policies and a training template
and prints rows/s and the peak resident memory (resource.getrusage). The works cycle over
`--distinct` distinct works: the shipped catalogue's recordings (which decide pay or deny)
and generated ISRCs outside the catalogue (deny); `--distinct 0` makes every row a
different work, the filter's worst case (no two rows make the same use).

`--cli` runs `clausula filter` as a subprocess instead of the Python API (the memory
figure is then the child's).
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clausula
from clausula.manifest import filter_manifest, summary_text

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
TEMPLATE = {
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "training",
    "territory": "DE",
}


def generate(path: Path, rows: int, distinct: int) -> None:
    """Write the manifest row by row (constant memory)."""
    policy = clausula.load(POLICIES)
    shipped = sorted(policy.data.works) if hasattr(policy.data, "works") else []
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["work", "path", "bytes"])
        pool = distinct if distinct > 0 else rows
        for row in range(rows):
            k = row % pool
            work = shipped[k] if k < len(shipped) else f"isrc:ZZX{k % 100:02d}{k:07d}"
            writer.writerow([work, f"s3://corpus/{row:08d}.flac", 3_000_000 + row % 997])


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=10_000)
    parser.add_argument("--cli", action="store_true", help="run `clausula filter` in a subprocess")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "manifest.csv"
        out = Path(tmp) / "out.csv"
        start = time.perf_counter()
        generate(manifest, args.rows, args.distinct)
        size = manifest.stat().st_size
        print(
            f"manifest: {args.rows:,} rows, {args.distinct or args.rows:,} distinct works, "
            f"{size / 1e6:.1f} MB, generated in {time.perf_counter() - start:.1f} s"
        )
        if args.cli:
            template = Path(tmp) / "use.yaml"
            template.write_text("\n".join(f"{k}: {v}" for k, v in TEMPLATE.items()) + "\n")
            start = time.perf_counter()
            subprocess.run(
                [
                    str(Path(sys.executable).parent / "clausula"),
                    "filter",
                    str(manifest),
                    "--use",
                    str(template),
                    "-o",
                    str(out),
                    "--policies",
                    str(POLICIES),
                ],
                check=True,
            )
            seconds = time.perf_counter() - start
            print(
                f"clausula filter: {args.rows / seconds:,.0f} rows/s, {seconds:.1f} s "
                f"(including start-up and policy load)"
            )
            print(f"peak memory (child): {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")
            return
        policy = clausula.load(POLICIES)
        before = peak_mb(resource.RUSAGE_SELF)
        start = time.perf_counter()
        summary = filter_manifest(policy, manifest, TEMPLATE, out)
        seconds = time.perf_counter() - start
        print(summary_text(summary))
        print(f"filter: {args.rows / seconds:,.0f} rows/s, {seconds:.1f} s")
        print(
            f"peak memory: {peak_mb(resource.RUSAGE_SELF):.0f} MB "
            f"(after loading the policies: {before:.0f} MB)"
        )
        print(f"output: {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
