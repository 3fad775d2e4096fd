"""Shared by the table, Spark and Dask tests: the shipped policies and a seeded table of
uses over their catalogue (pay, deny and rows that make no valid use), and what a runner
needs installed (in CI a missing one fails the test instead of skipping it)."""

from __future__ import annotations

import importlib
import os
import random
import shutil
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest

POLICIES = Path(__file__).resolve().parents[1] / "policies"

WORKS = [
    "isrc:USUM71703861",
    "isrc:USEXL2400102",
    "isrc:DEEXL2500217",
    "isrc:GBEXL2400530",
    "isrc:QZIND2400007",
    "isrc:ZZBEN0000001",  # not in the catalogue
]
ARTISTS = ["isni:0000000121032683", "isni:0000000368570205", "isni:0000000520744186"]
LICENSEES = ["party:aria-labs", "party:tessitura-ai", "party:nobody"]
PURPOSES = ["training", "generation", "fine_tuning"]
TERRITORIES = ["DE", "US", "FR", "RU"]
DATES = ["2026-03-01", "2026-09-01", "2027-06-30"]


def in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("CLAUSULA_CI"))


def need(module: str) -> ModuleType:
    """`module`, imported; skipped (with the reason) when missing, failed in CI."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if in_ci():
            pytest.fail(f"CI must run this test, but {module} cannot be imported: {error}")
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")


def need_java() -> None:
    if shutil.which("java") is None:
        if in_ci():
            pytest.fail("CI must run the Spark tests, but java is not installed (.ci/run)")
        pytest.skip("java is not installed (apt-get install default-jre-headless)")


def uses_table(rows: int, seed: int = 15) -> pa.Table:
    """`rows` seeded uses, one column per use field; every 17th row has a bad licensee."""
    rng = random.Random(seed)
    columns: dict[str, list[object]] = {
        name: []
        for name in (
            "id",
            "date",
            "licensee",
            "purpose",
            "territory",
            "works",
            "artists",
            "revenue",
            "currency",
            "generations",
        )
    }
    for n in range(rows):
        columns["id"].append(f"use-{n}")
        columns["date"].append(rng.choice(DATES))
        columns["licensee"].append("party:Bad Id" if n % 17 == 16 else rng.choice(LICENSEES))
        columns["purpose"].append(rng.choice(PURPOSES))
        columns["territory"].append(rng.choice(TERRITORIES))
        columns["works"].append(rng.sample(WORKS, rng.randint(1, 2)))
        columns["artists"].append(rng.sample(ARTISTS, rng.randint(0, 1)))
        revenue = rng.choice([None, "1200.00", "0.10", "99999.99", "7"])
        columns["revenue"].append(revenue)
        columns["currency"].append("USD" if revenue is not None else None)
        columns["generations"].append(rng.randint(0, 5_000))
    return pa.table(
        columns,
        schema=pa.schema(
            [
                ("id", pa.string()),
                ("date", pa.string()),
                ("licensee", pa.string()),
                ("purpose", pa.string()),
                ("territory", pa.string()),
                ("works", pa.list_(pa.string())),
                ("artists", pa.list_(pa.string())),
                ("revenue", pa.string()),
                ("currency", pa.string()),
                ("generations", pa.int64()),
            ]
        ),
    )
