"""Hostile manifests through `clausula filter`: random and extreme cells (huge and
exponent amounts, bad ids, lone surrogates written as text, odd currencies, dates past
9999, control characters) in every column a row can set. Never a traceback: every row is
decided or is an `error` row naming what is wrong, and the summary counts every row."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula.manifest import filter_manifest

REPO = Path(__file__).resolve().parents[2]
POLICIES = clausula.load(REPO / "policies")
TEMPLATE = {
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "US",
    "date": "2026-09-01",
}
COLUMNS = [
    "works",
    "artists",
    "territory",
    "date",
    "purpose",
    "metrics.revenue",
    "metrics.generations",
]

extreme = st.sampled_from(
    [
        "",
        "1e30 USD",
        "9" * 29 + " USD",
        "-5 USD",
        "NaN USD",
        "1.005 JPY",
        "10 EURO",
        "10",
        "1" * 5000,
        "10" + "0" * 30,
        "isrc:USUM71703861",
        "isrc:USUM7170386X",
        "isni:0000000121032683",
        "isni:0000000121032684",
        "9999-12-31",
        "10000-01-01",
        "2026-02-30",
        "US-TN",
        "Germany",
        "trainin",
        "\x00\x1b[31m",
        "\u2028",
        "a;b;c",
        '"quoted, with comma"',
    ]
)
cell = extreme | st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell, min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=6))
def test_hostile_manifest_rows_are_decided_or_error_rows(rows: list[list[str]]) -> None:
    manifest = io.StringIO(newline="")
    writer = csv.writer(manifest)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    manifest.seek(0)
    out = io.StringIO(newline="")
    summary = filter_manifest(POLICIES, manifest, TEMPLATE, out)
    # Lines end at "\n" only (a U+2028 in a cell is text, whatever `splitlines` thinks).
    written = list(csv.DictReader(re.split(r"(?<=\n)", out.getvalue())[:-1]))
    assert len(written) == len(rows) == summary.rows
    for row in written:
        assert row["decision"] in ("allow", "deny", "pay", "error")
        if row["decision"] == "error":
            assert row["reason"], row
