"""The manifest filter: rows in, rows with decisions out, a summary; streaming; the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clausula
from clausula.cli import app
from clausula.manifest import OUTPUT_COLUMNS, ManifestError, filter_manifest

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = {
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "training",
    "territory": "DE",
}
MANIFEST = """\
work,path,territory,note
isrc:USUM71703861,a.flac,,"one, with a comma"
isrc:GBEXL2400530,b.flac,,
isrc:QZX000000001,c.flac,,
isrc:USUM71703861,d.flac,XX,
isrc:USUM71703861,e.flac,US-TN,
isrc:USUM71703861,f.flac,,
"""


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> clausula.PolicySet:
    target = tmp_path_factory.mktemp("filter") / "policies"
    shutil.copytree(REPO / "policies", target)
    return clausula.load(target)


def _run(
    policy: clausula.PolicySet, manifest: str, **kw: object
) -> tuple[list[dict[str, str]], object]:
    out = io.StringIO()
    summary = filter_manifest(policy, io.StringIO(manifest), TEMPLATE, out, **kw)  # type: ignore[arg-type]
    return list(csv.DictReader(io.StringIO(out.getvalue()))), summary


def test_rows_get_decisions_and_the_summary_adds_up(policy: clausula.PolicySet) -> None:
    rows, summary = _run(policy, MANIFEST)
    assert list(rows[0]) == ["work", "path", "territory", "note", *OUTPUT_COLUMNS]
    assert [r["path"] for r in rows] == ["a.flac", "b.flac", "c.flac", "d.flac", "e.flac", "f.flac"]
    assert rows[0]["note"] == "one, with a comma"
    assert [r["decision"] for r in rows] == ["pay", "deny", "deny", "error", "deny", "pay"]
    assert rows[0]["owed"] == "3000.00 USD"
    assert rows[0]["payments"] == (
        "party:example-label 1500.00 USD; isni:0000000121032683 750.00 USD; "
        "isni:0000000368570205 750.00 USD"
    )
    assert rows[1]["rule"] == "aria-optin-2026 §3.1"
    assert "isni:0000000520744186" in rows[1]["reason"]
    assert "outside the catalogue" in rows[2]["reason"]
    assert rows[3]["reason"].startswith("/territory: ")
    assert "US-TN" in rows[4]["reason"]
    # The same use as row 1, given by the template: the same answer.
    assert rows[5] == {**rows[0], "path": "f.flac", "note": ""}

    assert (summary.rows, summary.allowed, summary.paid, summary.denied, summary.errors) == (  # type: ignore[attr-defined]
        6,
        0,
        2,
        3,
        1,
    )
    assert summary.denied_by_reason == {  # type: ignore[attr-defined]
        "consent-missing: aria-optin-2026 §3.1": 2,
        "no-licence: aria-optin-2026": 1,
    }
    assert summary.errors_by_problem == {"/territory": 1}  # type: ignore[attr-defined]
    assert summary.owed == {"USD": Decimal("6000.00")}  # type: ignore[attr-defined]
    assert summary.decided == 5  # type: ignore[attr-defined]


def test_the_decisions_are_those_of_the_python_api(policy: clausula.PolicySet) -> None:
    rows, _ = _run(policy, MANIFEST)
    for row in rows:
        if row["decision"] == "error":
            continue
        use = {**TEMPLATE, "works": [row["work"]]}
        if row["territory"]:
            use["territory"] = row["territory"]
        decision = policy.decide(use)
        assert row["decision"] == decision.decision
        assert row["owed"] == "; ".join(f"{t.amount} {t.currency}" for t in decision.totals)


def test_more_use_fields_from_columns(policy: clausula.PolicySet) -> None:
    manifest = (
        "works,purpose,commercial,output.synthetic_audio,metrics.generations,context\n"
        "isrc:USUM71703861;isrc:DEEXL2500217,fine_tuning,yes,true,10,parody\n"
        "isrc:USUM71703861,training,maybe,,,\n"
        "isrc:USUM71703861,training,no,,-3,\n"
    )
    rows, _summary = _run(policy, manifest)
    expected = policy.decide(
        {
            **TEMPLATE,
            "works": ["isrc:USUM71703861", "isrc:DEEXL2500217"],
            "purpose": "fine_tuning",
            "commercial": True,
            "output": {"synthetic_audio": True},
            "metrics": {"generations": 10},
            "context": ["parody"],
        }
    )
    assert rows[0]["decision"] == expected.decision
    first_denial = next(r for r in expected.reasons if r.effect in ("consent-missing", "deny"))
    assert (rows[0]["rule"], rows[0]["reason"]) == (first_denial.rule, first_denial.message)
    assert rows[1]["decision"] == "error" and rows[1]["reason"].startswith("/commercial: ")
    assert rows[2]["decision"] == "error" and "/metrics/generations" in rows[2]["reason"]


def test_a_ragged_row_is_an_error_row(policy: clausula.PolicySet) -> None:
    rows, _summary = _run(policy, "work,path\nisrc:USUM71703861\nisrc:USUM71703861,x,y\n")
    assert [r["decision"] for r in rows] == ["error", "error"]
    assert "has 1 fields; the header has 2" in rows[0]["reason"]


@pytest.mark.parametrize(
    ("manifest", "template", "message"),
    [
        ("path\nx\n", TEMPLATE, "no `work` (or `works`) column"),
        ("", TEMPLATE, "the manifest is empty"),
        ("work,decision\nx,y\n", TEMPLATE, "already has a `decision` column"),
        ("work\nx\n", {**TEMPLATE, "teritory": "DE"}, "did you mean `territory`?"),
        ("work\nx\n", {k: v for k, v in TEMPLATE.items() if k != "territory"}, "no territory"),
    ],
)
def test_unusable_manifests_and_templates(
    policy: clausula.PolicySet, manifest: str, template: dict[str, str], message: str
) -> None:
    with pytest.raises(
        ManifestError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        filter_manifest(policy, io.StringIO(manifest), template, io.StringIO())


class _Rows(io.TextIOBase):
    """A manifest generated line by line, never held in memory."""

    def __init__(self, rows: int) -> None:
        self._lines = self._generate(rows)

    @staticmethod
    def _generate(rows: int) -> Iterator[str]:
        yield "work,path\n"
        works = ["isrc:USUM71703861", "isrc:GBEXL2400530", "isrc:DEEXL2500217"]
        for i in range(rows):
            work = works[i % 3] if i % 2 else f"isrc:ZZX{i % 50:010d}"
            yield f"{work},s3://corpus/{i:08d}.flac\n"

    def __iter__(self) -> Iterator[str]:
        return self._lines

    def readable(self) -> bool:
        return True


class _Sink(io.TextIOBase):
    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def test_memory_stays_flat(policy: clausula.PolicySet) -> None:
    """Ten times the rows, the same peak: nothing grows with the file."""
    peaks = []
    for rows in (2_000, 20_000):
        tracemalloc.start()
        summary = filter_manifest(policy, _Rows(rows), TEMPLATE, _Sink(), cache_size=64)  # type: ignore[arg-type]
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert summary.rows == rows
    assert peaks[1] < peaks[0] * 1.5 + 200_000, peaks


def test_progress_is_reported(policy: clausula.PolicySet) -> None:
    seen: list[tuple[int, int]] = []
    filter_manifest(
        policy,
        _Rows(20_000),
        TEMPLATE,
        _Sink(),
        progress=lambda r, c: seen.append((r, c)),  # type: ignore[arg-type]
    )
    assert seen[-1][0] == 20_000 and len(seen) >= 3
    assert all(a <= b for a, b in itertools.pairwise(seen))


# ------------------------------------------------------------------ the command


def test_the_command(tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    (tmp_path / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "use.yaml").write_text(
        "licensee: party:aria-labs\npurpose: training\nterritory: DE\ndate: 2026-09-01\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "filter",
            str(tmp_path / "manifest.csv"),
            "--use",
            str(tmp_path / "use.yaml"),
            "-o",
            str(tmp_path / "out.csv"),
            "--policies",
            str(tmp_path / "policies"),
            "--summary",
            str(tmp_path / "summary.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "6 rows: 2 usable (0 allow, 2 pay), 3 deny, 1 error" in result.output
    assert "total owed: 6000.00 USD" in result.output
    assert "\x1b[" not in result.output and "━" not in result.output  # no bar off a terminal
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [r["decision"] for r in rows] == ["pay", "deny", "deny", "error", "deny", "pay"]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["owed"] == [{"amount": "6000.00", "currency": "USD"}]
    assert summary["denied_by_reason"]["consent-missing: aria-optin-2026 §3.1"] == 2


def test_the_command_reports_mistakes_plainly(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("path\nx\n", encoding="utf-8")
    (tmp_path / "use.yaml").write_text("licensee: [unclosed\n", encoding="utf-8")
    runner = CliRunner()
    base = [
        "filter",
        str(tmp_path / "manifest.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        "--policies",
        str(REPO / "policies"),
    ]
    bad_yaml = runner.invoke(app, [*base, "--use", str(tmp_path / "use.yaml")])
    assert bad_yaml.exit_code == 1 and "not valid YAML" in bad_yaml.output
    (tmp_path / "use.yaml").write_text("licensee: party:aria-labs\n", encoding="utf-8")
    no_work = runner.invoke(app, [*base, "--use", str(tmp_path / "use.yaml")])
    assert no_work.exit_code == 1 and "no `work`" in no_work.output
    missing = runner.invoke(app, ["filter", str(tmp_path / "nope.csv"), "--use", "x", "-o", "y"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    usage = runner.invoke(app, ["filter", str(tmp_path / "manifest.csv")])
    assert usage.exit_code == 2
