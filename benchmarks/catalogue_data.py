"""A large, valid, seeded catalogue for the loading and cluster benchmarks.

`write_catalogue(root, artists=100_000, works=1_000_000)` writes a policy directory: one
opt-in contract per licensee (`contracts/<licensee>.clause`) and the data files (`data/parties.yaml`,
`data/works-NNN.yaml` of 100,000 works each, `data/grants-NNN.yaml` of 50,000 grants
each: a YAML file holds at most 2,000,000 nodes): the artists (valid ISNIs), a label and five
licensees, the works (ISRCs, one or two performing artists each, held by the label) and
about 1.2 consent grants per artist (90% of the artists hold at least one; purposes,
territories and end dates vary). The same arguments write the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from stdnum.iso7064 import mod_11_2

LICENSEES = ("aria-labs", "bright-ai", "cadence", "delta-sound", "echo-models")
LABEL = "party:bench-label"
PURPOSES = ("training", "fine_tuning", "generation", "voice_replica")
TERRITORIES = ("DE", "FR", "US", "GB", "JP", "BR", "EU", "worldwide")
EXCLUDED = ("BY", "CU", "IR", "KP", "RU", "SY")


def isni(n: int) -> str:
    """The n-th benchmark artist's ISNI (15 digits and the ISO 7064 Mod 11-2 check)."""
    body = f"000000010{n:06d}"
    return "isni:" + body + mod_11_2.calc_check_digit(body)


def isrc(n: int) -> str:
    """The n-th benchmark recording's ISRC (`ZZ` country, registrant `BEN`)."""
    return f"isrc:ZZBEN{n // 100_000 % 100:02d}{n % 100_000:05d}" if n < 10_000_000 else ""


CONTRACT = """\
contract "bench-{licensee}" "Benchmark opt-in licence to {licensee}"
  licensor {label}
  licensee party:{licensee}
  effective 2020-01-01
  territory worldwide except {excluded}
  scope all works

  clause 1 "Licensed purposes"
    permit training, fine_tuning, generation, voice_replica

  clause 2 "Opt-in: consent of each artist for the use's purpose"
    require consent of each artist in use.artists for use.purpose

  clause 3 "12% of revenue to each artist, at least 0.50 USD"
    pay max(12% * use.revenue, 0.50 USD) to each artist in use.artists
"""


def _parties(artists: int) -> Iterator[str]:
    yield "parties:\n"
    yield f"  - {{id: {LABEL}, kind: label, name: Benchmark Label}}\n"
    for name in LICENSEES:
        yield f"  - {{id: party:{name}, kind: developer, name: {name}}}\n"
    for n in range(artists):
        yield f"  - {{id: {isni(n)}, kind: artist, name: Artist {n}}}\n"


WORKS_PER_FILE = 100_000
"""Works per data file: a YAML file holds at most `clausula.limits.MAX_YAML_NODES` nodes
(about 15 per work) and `MAX_YAML_CHARS` characters."""


def _works(ids: list[str], start: int, stop: int, rng: random.Random) -> Iterator[str]:
    yield "works:\n"
    artists = len(ids)
    for n in range(start, stop):
        performers = f"{{artist: {ids[rng.randrange(artists)]}}}"
        if rng.random() < 0.3:
            performers += f", {{artist: {ids[rng.randrange(artists)]}, role: featured}}"
        yield (
            f"  - {{id: {isrc(n)}, title: Track {n}, rights_holder: {LABEL}, "
            f"performers: [{performers}]}}\n"
        )


def grants_of(artists: int, seed: int = 7) -> list[tuple[int, str, list[str], list[str], str]]:
    """(artist, grant id, purposes, territories, valid_until) of every grant, seeded."""
    rng = random.Random(seed)
    grants = []
    for n in range(artists):
        if rng.random() < 0.1:
            continue  # holds no grant
        for k in range(1 if rng.random() < 0.8 else 2):
            purposes = sorted(rng.sample(PURPOSES, rng.randint(1, 3)))
            territories = sorted(rng.sample(TERRITORIES, rng.randint(1, 3)))
            until = f"{rng.randint(2025, 2030)}-{rng.randint(1, 12):02d}-28"
            grants.append((n, f"g-{n}-{k}", purposes, territories, until))
    return grants


GRANTS_PER_FILE = 50_000
"""Grants per data file (about 20 YAML nodes each), for the same limits as the works."""


def _grants(grants: list[tuple[int, str, list[str], list[str], str]]) -> Iterator[str]:
    yield "grants:\n"
    for n, ident, purposes, territories, until in grants:
        yield (
            f"  - {{id: {ident}, grantor: {isni(n)}, grantee: any, "
            f"purposes: [{', '.join(purposes)}], territories: [{', '.join(territories)}], "
            f"valid_from: 2020-01-01, valid_until: {until}}}\n"
        )


def write_catalogue(root: Path, artists: int = 100_000, works: int = 1_000_000) -> Path:
    """Write the benchmark policy directory under `root`; returns `root`."""
    (root / "contracts").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    for licensee in LICENSEES:
        text = CONTRACT.format(licensee=licensee, label=LABEL, excluded=", ".join(EXCLUDED))
        (root / "contracts" / f"{licensee}.clause").write_text(text, encoding="utf-8")
    rng = random.Random(42)
    ids = [isni(n) for n in range(artists)]
    files: list[tuple[str, Iterator[str]]] = [
        ("parties.yaml", _parties(artists)),
    ]
    grants = grants_of(artists)
    for part, start in enumerate(range(0, len(grants), GRANTS_PER_FILE)):
        chunk = grants[start : start + GRANTS_PER_FILE]
        files.append((f"grants-{part:03d}.yaml", _grants(chunk)))
    for part, start in enumerate(range(0, works, WORKS_PER_FILE)):
        stop = min(works, start + WORKS_PER_FILE)
        files.append((f"works-{part:03d}.yaml", _works(ids, start, stop, rng)))
    for name, lines in files:
        with (root / "data" / name).open("w", encoding="utf-8") as file:
            file.writelines(lines)
    return root
