"""`clausula test`: YAML cases next to clause files, differences spelled out, coverage."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clausula.clause_tests import Runner
from clausula.cli import app

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "clause_tests"


def test_fixture_passes_and_coverage_counts_are_right() -> None:
    result = Runner().run([FIXTURE])
    assert result.passed, result.to_json()
    assert result.counts() == (2, 0)
    coverage = result.coverage
    assert len(coverage.provisions) == 6
    assert [p.rule for p in coverage.missed] == ["demo-2026 §3.2"]
    by_file = {name: (total, done) for name, total, done, _ in coverage.by_file()}
    assert by_file == {
        "tests/fixtures/explain/policies/contract.clause": (5, 4),
        "tests/fixtures/explain/policies/law.clause": (1, 1),
    }


def test_set_aside_and_exception_count_as_exercised(tmp_path: Path) -> None:
    test = tmp_path / "parody.test.yaml"
    test.write_text(
        f"policies: {FIXTURE.parent / 'explain' / 'policies'}\n"
        "cases:\n"
        f"  - use: {FIXTURE.parent / 'explain' / 'uses' / 'parody.json'}\n"
        "    expect: {decision: allow}\n",
        encoding="utf-8",
    )
    result = Runner().run([test])
    assert result.passed
    missed = [p.rule for p in result.coverage.missed]
    # §3.2 sets §3.1 aside and the law's exception shows: both exercised. §3.1 itself is
    # not: set aside, its effect never shows.
    assert missed == ["demo-2026 §3.1"]


def test_a_failing_case_says_how_the_answer_differs(tmp_path: Path) -> None:
    test = tmp_path / "wrong.test.yaml"
    test.write_text(
        f"policies: {FIXTURE.parent / 'explain' / 'policies'}\n"
        "cases:\n"
        "  - name: wrong amount\n"
        f"    use: {FIXTURE.parent / 'explain' / 'uses' / 'generation.json'}\n"
        "    expect:\n"
        "      decision: allow\n"
        "      payments:\n"
        "        - {payee: isni:0000000111111118, amount: '99.99', currency: USD}\n"
        "        - {payee: isni:0000000122222227, amount: '33.33', currency: USD}\n"
        "      reasons: [{effect: consent-missing}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["test", str(test)])
    assert result.exit_code == 1
    out = result.output
    assert "FAIL  wrong amount (" in out and "wrong.test.yaml:3:5)" in out
    assert "decision: expected allow, got pay" in out
    assert "payments: expected isni:0000000111111118 99.99 USD, not paid" in out
    assert "payments: unexpected isni:0000000111111118 100.00 USD (demo-2026 §3.1)" in out
    assert "reasons: expected effect consent-missing" in out
    assert "1 case: 0 passed, 1 failed" in out


def test_json_and_coverage_from_the_command_line() -> None:
    result = CliRunner().invoke(app, ["test", str(FIXTURE), "--coverage", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cases"] == 2 and data["failed"] == 0
    assert data["coverage"]["provisions"] == 6 and data["coverage"]["exercised"] == 5
    result = CliRunner().invoke(app, ["test", str(FIXTURE), "--coverage"])
    assert "Coverage: 5 of 6 clauses and rules exercised" in result.output
    assert 'not exercised: demo-2026 §3.2 "No pool on parodies"' in result.output


def test_the_shipped_contracts_pass_their_tests_and_cover_every_clause() -> None:
    result = Runner().run([REPO / "policies" / "contracts"])
    assert result.passed, json.dumps(result.to_json(), indent=1, ensure_ascii=False)
    assert result.counts()[0] >= 10
    assert result.coverage.missed == []


def test_every_shipped_test_file_passes() -> None:
    """The contracts' and the jurisdiction packs' own test files (policies/**/*.test.yaml)."""
    result = Runner().run([REPO / "policies"])
    assert result.passed, json.dumps(result.to_json(), indent=1, ensure_ascii=False)
    packs = sorted((REPO / "policies" / "jurisdictions").glob("*.clause"))
    assert all(p.with_suffix(".test.yaml").is_file() for p in packs)


def test_bad_test_files_are_reported_with_their_place(tmp_path: Path) -> None:
    broken = tmp_path / "broken.test.yaml"
    broken.write_text("cases:\n  - use: {date: 2026-01-01\n", encoding="utf-8")
    unknown = tmp_path / "unknown.test.yaml"
    unknown.write_text(
        f"policies: {FIXTURE.parent / 'explain' / 'policies'}\n"
        "cases:\n  - use: missing.json\n    expect: {decision: deny}\n"
        "  - use: {date: 2026-01-01}\n    expect: {verdict: deny}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["test", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "broken.test.yaml:3:1: not valid YAML" in result.output
    assert "the use file" in result.output and "does not exist" in result.output
    assert "unknown expectation `verdict`" in result.output
