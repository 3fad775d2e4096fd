"""Every shipped jurisdiction pack states its text, status and citations, and its docs page
is checked against the pack itself: every rule label and citation appears on the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import clausula
from clausula import ast
from clausula.parser import parse

ROOT = Path(__file__).resolve().parents[1]
PACK_FILES = sorted((ROOT / "policies" / "jurisdictions").glob("*.clause"))


def _blocks(path: Path) -> list[ast.Block]:
    source, diagnostics = parse(path.read_text(encoding="utf-8"), path.name)
    assert diagnostics == []
    return [b for b in source.blocks if b.kind == "jurisdiction"]


PACKS = [(path, block) for path in PACK_FILES for block in _blocks(path)]


def test_there_are_packs() -> None:
    assert PACKS


def test_shipped_policies_check_clean() -> None:
    assert clausula.check([ROOT / "policies"]) == []


@pytest.mark.parametrize(("path", "block"), PACKS, ids=[b.name for _, b in PACKS])
def test_pack_states_text_status_and_citations(path: Path, block: ast.Block) -> None:
    kinds = {header.kind for header in block.headers}
    assert "text" in kinds, f"{block.name} does not say which text it encodes"
    assert kinds & {"in_force", "proposed"}, f"{block.name} states no status"
    assert block.applies, f"{block.name} does not say where it applies"
    for rule in block.provisions:
        assert rule.cite, f"{block.name} rule {rule.key} has no citation"
    text = path.read_text(encoding="utf-8")
    header = re.split(r"^jurisdiction ", text, maxsplit=1, flags=re.MULTILINE)[0].lower()
    assert "not legal advice" in header, f"{path.name}: the header comment must say so"


@pytest.mark.parametrize(("path", "block"), PACKS, ids=[b.name for _, b in PACKS])
def test_docs_page_matches_the_pack(path: Path, block: ast.Block) -> None:
    page = ROOT / "docs" / "packs" / f"{block.name}.md"
    assert page.is_file(), f"no docs page {page.relative_to(ROOT)} for {block.name}"
    text = page.read_text(encoding="utf-8")
    for rule in block.provisions:
        assert rule.key in text, f"{page.name} does not name rule {rule.key}"
        assert rule.cite is not None and rule.cite in text, (
            f"{page.name} does not quote the citation of {rule.key}: {rule.cite}"
        )
    assert "not legal advice" in text.lower()
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"packs/{block.name}.md" in nav, f"{page.name} is not in the mkdocs nav"
