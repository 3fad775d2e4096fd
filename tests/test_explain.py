"""`clausula explain`: fixed uses against a fixed policy give the reviewed text.

The expected texts in tests/fixtures/explain/expected/ were read and checked by hand: the
English, the clauses quoted and every number (40% × 333.33 USD = 133.332 USD, above the
floor of 0.01 USD × 1000 = 10 USD; × 0.75 = 99.999 and × 0.25 = 33.333; 133.33 USD in all,
split by largest remainder as 100.00 + 33.33).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausula import load
from clausula.cli import app
from clausula.explain import explain

FIXTURE = Path(__file__).parent / "fixtures" / "explain"
USES = sorted(p.stem for p in (FIXTURE / "uses").glob("*.json"))


def test_there_are_fixed_uses() -> None:
    assert USES == ["generation", "parody", "training-consent-missing"]


@pytest.mark.parametrize("name", USES)
def test_explanation_matches_the_reviewed_text(name: str) -> None:
    policy_set = load(FIXTURE / "policies")
    use = json.loads((FIXTURE / "uses" / f"{name}.json").read_text(encoding="utf-8"))
    expected = (FIXTURE / "expected" / f"{name}.txt").read_text(encoding="utf-8")
    assert explain(policy_set, FIXTURE / "policies", use) == expected


def test_cli_prints_the_explanation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    result = CliRunner().invoke(app, ["explain", "uses/parody.json", "--policies", "policies"])
    assert result.exit_code == 0, result.output
    assert result.output == (FIXTURE / "expected" / "parody.txt").read_text(encoding="utf-8")


def test_cli_reports_a_bad_use_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"date": "2026-01-01", "licensee": "party:x", "purpose": "training"', "utf-8")
    result = CliRunner().invoke(app, ["explain", str(bad), "--policies", str(FIXTURE / "policies")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "not valid JSON" in result.output


def test_cli_reports_an_invalid_use(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"date": "2026-01-01", "licensee": "party:x", "purpose": "dance"}', "utf-8")
    result = CliRunner().invoke(app, ["explain", str(bad), "--policies", str(FIXTURE / "policies")])
    assert result.exit_code == 1
    assert "/territory" in result.output


def test_quoted_clauses_leave_out_the_authors_comments(tmp_path: Path) -> None:
    # Issue 11: a comment is a note for the authors; the quoted clause text omits it.
    root = tmp_path / "policies"
    shutil.copytree(FIXTURE / "policies", root)
    contract = root / "contract.clause"
    text = contract.read_text(encoding="utf-8")
    text = text.replace(
        "    when use.purpose is generation\n",
        "    # draft: see ../shared/reference/laws.md, pool not agreed yet\n"
        "    when use.purpose is generation  # GEMA model, secondary source\n",
    )
    contract.write_text(text, encoding="utf-8")
    use = json.loads((FIXTURE / "uses" / "generation.json").read_text(encoding="utf-8"))
    explained = explain(load(root), root, use)
    assert "when use.purpose is generation\n" in explained
    assert "pool not agreed" not in explained and "../" not in explained
    assert "GEMA" not in explained and "#" not in explained


def test_parties_are_named_with_their_id_and_the_term_has_its_end() -> None:
    use = json.loads((FIXTURE / "uses" / "generation.json").read_text(encoding="utf-8"))
    explained = explain(load(FIXTURE / "policies"), FIXTURE / "policies", use)
    assert "(party:synth-co)" in explained
    assert "(from 2026-01-01 until 2027-12-31)" in " ".join(explained.split())
    assert "the catalogue of Demo Records (party:demo-records)" in " ".join(explained.split())
