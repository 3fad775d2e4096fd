"""How fast a large catalogue loads, side by side with Cedar's entity store of the same data.

    .venv/bin/python benchmarks/load.py [--artists 100000] [--works 1000000] [--dir DIR]

Writes (once; kept in `--dir`) a policy directory of `--artists` artists with their
consent grants and `--works` works (benchmarks/catalogue_data.py), and the same parties,
grants and works as a Cedar entities document (artists carry their consents as a set of
records, works their performers and rights holder). Then, in one run, times:

- `clausula.load` without a cache (reads and checks the YAML files: the cold load);
- `clausula.load(cache=DIR)` the first time (cold load and writing the cache);
- `clausula.load(cache=DIR)` again (the data cache: the warm load), and one decision;
- Cedar (`cedarpy`, `pip install -e '.[bench]'`): reading the entities JSON file and
  `Entities.from_json_str`, without and with the schema;

and prints the seconds and the ratios. `--skip-cold` leaves out the first (the slowest).
The machine is shared: compare the ratios of one run, never figures from two.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_data import LABEL, LICENSEES, grants_of, isni, write_catalogue

import clausula

CEDAR_SCHEMA = """\
entity Party { name: String };
type Consent = { id: String, purposes: Set<String>, territories: Set<String>,
                 valid_from: datetime, valid_until: datetime };
entity Artist in [Party] { name: String, consents: Set<Consent> };
entity Work { title: String, performers: Set<Artist>, rights_holder: Party };
action training, fine_tuning, generation, voice_replica appliesTo {
  principal: Party, resource: Artist, context: { territory: String, date: datetime }
};
"""


def _day(text: str) -> dict[str, Any]:
    return {"__extn": {"fn": "datetime", "arg": text}}


def write_cedar(path: Path, root: Path, artists: int) -> None:
    """The same parties, grants and works as a Cedar entities JSON document."""
    consents: dict[int, list[dict[str, Any]]] = {}
    for n, ident, purposes, territories, until in grants_of(artists):
        consents.setdefault(n, []).append(
            {
                "id": ident,
                "purposes": purposes,
                "territories": territories,
                "valid_from": _day("2020-01-01"),
                "valid_until": _day(until),
            }
        )
    entities: list[dict[str, Any]] = [
        {"uid": {"type": "Party", "id": p}, "attrs": {"name": p}, "parents": []}
        for p in [LABEL, *(f"party:{name}" for name in LICENSEES)]
    ]
    for n in range(artists):
        entities.append(
            {
                "uid": {"type": "Artist", "id": isni(n)},
                "attrs": {"name": f"Artist {n}", "consents": consents.get(n, [])},
                "parents": [],
            }
        )
    # The works as written in the YAML file, so that both stores hold the same catalogue.
    import yaml

    works = [
        work
        for path in sorted((root / "data").glob("works-*.yaml"))
        for work in yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)["works"]
    ]
    for work in works:
        entities.append(
            {
                "uid": {"type": "Work", "id": work["id"]},
                "attrs": {
                    "title": work["title"],
                    "performers": [
                        {"__entity": {"type": "Artist", "id": p["artist"]}}
                        for p in work["performers"]
                    ],
                    "rights_holder": {"__entity": {"type": "Party", "id": work["rights_holder"]}},
                },
                "parents": [],
            }
        )
    path.write_text(json.dumps(entities), encoding="utf-8")


def timed(what: str, fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"  {what:<58} {seconds:8.2f} s", flush=True)
    return seconds, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artists", type=int, default=100_000)
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/clausula-bench-load"))
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()

    root = args.dir / f"{args.artists}-{args.works}"
    cedar_file = root / "cedar-entities.json"
    if not cedar_file.exists():
        print(f"writing {args.artists:,} artists and {args.works:,} works to {root} …")
        write_catalogue(root / "policies", args.artists, args.works)
        write_cedar(cedar_file, root / "policies", args.artists)
    policies = root / "policies"
    cache = root / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    size = sum(p.stat().st_size for p in (policies / "data").iterdir()) / 1e6
    print(f"{args.artists:,} artists with their grants, {args.works:,} works ({size:.0f} MB YAML)")

    figures: dict[str, float] = {}
    if not args.skip_cold:
        figures["cold"], _ = timed(
            "clausula.load, no cache", lambda: clausula.load(policies, cache=False)
        )
    figures["first"], _ = timed(
        "clausula.load(cache=…), first time (reads YAML, writes cache)",
        lambda: clausula.load(policies, cache=cache),
    )
    figures["warm"], loaded = timed(
        "clausula.load(cache=…), warm (from the data cache)",
        lambda: clausula.load(policies, cache=cache),
    )
    use = {
        "date": "2026-09-01",
        "licensee": f"party:{LICENSEES[0]}",
        "purpose": "training",
        "territory": "DE",
        "works": ["isrc:ZZBEN0000001"],
        "artists": [isni(1)],
    }
    print(f"    a decision after the warm load: {loaded.decide(use).decision}")

    try:
        import cedarpy
    except ImportError:
        print("cedarpy is not installed (pip install -e '.[bench]'): no Cedar figures")
        return
    text = cedar_file.read_text("utf-8")
    print(f"Cedar entities document: {len(text) / 1e6:.0f} MB JSON")
    schema = cedarpy.Schema.from_str(CEDAR_SCHEMA)
    figures["cedar"], _ = timed(
        "Cedar: read JSON file + Entities.from_json_str",
        lambda: cedarpy.Entities.from_json_str(cedar_file.read_text("utf-8")),
    )
    figures["cedar_schema"], _ = timed(
        "Cedar: read JSON file + Entities.from_json_str(schema=…)",
        lambda: cedarpy.Entities.from_json_str(cedar_file.read_text("utf-8"), schema=schema),
    )
    print("ratios (higher: Clausula faster):")
    for name in ("cold", "first", "warm"):
        if name in figures:
            print(
                f"  Cedar / clausula {name:<6} {figures['cedar'] / figures[name]:6.2f}x"
                f"   (Cedar with schema / clausula {name}: "
                f"{figures['cedar_schema'] / figures[name]:.2f}x)"
            )


if __name__ == "__main__":
    main()
