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
