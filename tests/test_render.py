"""`clausula render`: every clause title, parameter and citation, in HTML and Markdown."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausula.cli import app
from clausula.parser import parse
from clausula.render_clauses import render

REPO = Path(__file__).resolve().parents[1]
FILES = sorted(
    [
        # The jurisdiction packs are being written now; their rendering is tried by hand.
        *REPO.glob("policies/contracts/*.clause"),
        REPO / "tests/fixtures/laws/policy.clause",
        REPO / "tests/fixtures/explain/policies/contract.clause",
    ]
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_every_title_parameter_and_citation_is_there(path: Path, fmt: str) -> None:
    source, diagnostics = parse(path.read_text(encoding="utf-8"), str(path))
    assert not diagnostics
    text = render(source, fmt)
    if fmt == "html":
        text = html.unescape(text)
    for block in source.blocks:
        assert block.name in text
        if block.title:
            assert block.title in text
        for parameter in block.parameters:
            assert f"`{parameter.name}`" in text or f"<code>{parameter.name}</code>" in text
        for provision in block.provisions:
            if provision.title:
                assert provision.title in text
            if provision.cite:
                assert provision.cite in text


def test_markdown_reads_as_a_document() -> None:
    path = REPO / "tests/fixtures/explain/policies/contract.clause"
    text = render(parse(path.read_text(encoding="utf-8"), str(path))[0], "md")
    assert "# Contract demo-2026: Demo Records licence to Synth Co" in text
    assert "| Artist pool | 40% | `artist_pool` |" in text
    assert "## §3.1 Artists' pool" in text
    assert (
        "- Pays each artist in the attribution: (the greater of (artist pool (40%) times the "
        "use's revenue) and (per generation (0.01 USD) times the number of generations)) times "
        "the artist's attribution weight."
    ) in text
    assert (
        "- Formula: `max(artist_pool * use.revenue, per_generation * use.generations) * weight`."
        in text
    )
    assert (
        "- Notwithstanding clause 3.1 (Artists' pool): where this applies, that one does not."
        in text
    )


def test_citations_are_footnotes() -> None:
    path = REPO / "tests/fixtures/laws/policy.clause"
    source = parse(path.read_text(encoding="utf-8"), str(path))[0]
    md = render(source, "md")
    assert "## s. 1 Authorization of replicas[^1]" in md
    assert "[^1]: Replica Act s. 1" in md
    page = render(source, "html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert '<li id="note-1">Replica Act s. 1 <a href="#ref-1">↩</a></li>' in page
    assert "http" not in page.replace('href="#', "")  # self-contained: nothing fetched


def test_cli_writes_html_and_reports_errors(tmp_path: Path) -> None:
    out = tmp_path / "contract.html"
    path = REPO / "policies/contracts/aria-optin.clause"
    result = CliRunner().invoke(app, ["render", str(path), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Artists&#x27; pool" in out.read_text(
        encoding="utf-8"
    ) or "Artists' pool" in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.clause"
    bad.write_text('contract "b"\n  clause 1\n    permt training\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["render", str(bad), "--format", "md"])
    assert result.exit_code == 1
    assert f"{bad}:3:5" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["render", str(path), "--format", "pdf"])
    assert result.exit_code == 2


def _cli_render(*args: str) -> str:
    result = CliRunner().invoke(app, ["render", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_parties_by_name_with_their_id_and_the_term_with_its_last_day(fmt: str) -> None:
    # Issue 11: a reader sees who the parties are and when the term ends.
    text = html.unescape(_cli_render(str(REPO / "policies/contracts/aria-optin.clause"), "-f", fmt))
    assert "Example Label Records (party:example-label)" in text
    assert "Aria Labs, Inc. (party:aria-labs)" in text
    assert "from 1 January 2026 until 31 December 2028 (3 years)" in text


def test_the_last_day_is_the_one_the_engine_decides_with(tmp_path: Path) -> None:
    # `effective 2024-02-29 for 1 years`: the engine's term ends on 2025-02-27 (the day
    # before 2025-02-28); the rendering says the same day, from the same function.
    import clausula

    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "c.clause").write_text(
        'contract "leap" "Leap"\n  licensor party:a\n  licensee party:b\n'
        "  effective 2024-02-29 for 1 years\n  territory worldwide\n  scope all works\n"
        '  clause 1 "P"\n    permit training\n',
        encoding="utf-8",
    )
    (block,) = clausula.load(policies).compiled.contracts_by_licensee["party:b"]
    assert block.end is not None
    text = _cli_render(str(policies / "c.clause"), "-f", "md")
    assert f"until {block.end.day} February {block.end.year} (1 year)" in text


def test_comments_are_never_rendered(tmp_path: Path) -> None:
    source = tmp_path / "c.clause"
    source.write_text(
        "# draft terms, see ../shared/reference/laws.md\n"
        'contract "c" "C"  # ask legal\n  licensor party:a\n  licensee party:b\n'
        "  effective 2026-01-01 for 1 years\n  territory worldwide\n  scope all works\n"
        '  # a note inside\n  clause 1 "P"\n    permit training  # why\n',
        encoding="utf-8",
    )
    for fmt in ("md", "html"):
        text = _cli_render(str(source), "-f", fmt)
        assert "draft terms" not in text and "../" not in text
        assert "ask legal" not in text and "a note inside" not in text and "why" not in text
