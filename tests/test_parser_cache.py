"""The parser's tables kept between processes (`clausula.parser_cache`): the same parses
and the same errors from tables read back as from tables built, a file written whole or
not at all, and never a file read from a directory others could write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark

from clausula import parser_cache
from clausula.parser import grammar_text
from clausula.parser_cache import cache_folder, cached_lark

REPO = Path(__file__).resolve().parents[1]
OPTIONS = {"parser": "lalr", "lexer": "contextual", "maybe_placeholders": False}
# Each parses the shipped contracts and a file of syntax errors, and prints what it got.
_PARSE = """
import sys
from pathlib import Path
from clausula.parser import parse
for path in sorted(Path(sys.argv[1]).rglob("*.clause")):
    source, problems = parse(path.read_text(encoding="utf-8"), path.name)
    print(path.name, repr(source), [repr(p) for p in problems])
"""


def _parsed_in_a_process(folder: str) -> str:
    # One hash seed: a frozenset of the AST prints in the order of its hashes.
    env = {**os.environ, parser_cache.ENV: folder, "PYTHONHASHSEED": "0"}
    shown = subprocess.run(
        [sys.executable, "-c", _PARSE, str(REPO / "tests" / "fixtures" / "clauses")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    contracts = subprocess.run(
        [sys.executable, "-c", _PARSE, str(REPO / "policies")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return shown.stdout + contracts.stdout + shown.stderr + contracts.stderr


def test_tables_read_back_parse_as_tables_built(tmp_path: Path) -> None:
    """A process with no cache, one that writes it and one that reads it give the same
    parses and the same syntax errors; only one file is left, the whole one."""
    folder = tmp_path / "parser"
    built = _parsed_in_a_process("off")
    written = _parsed_in_a_process(str(folder))
    files = list(folder.iterdir())
    assert [f.name.startswith("parser-") and f.suffix == ".lark" for f in files] == [True]
    read = _parsed_in_a_process(str(folder))
    assert built == written == read
    assert "Diagnostic(span=Span(path='syntax_errors.clause'" in built
    assert "aria-optin.clause SourceFile(" in built


def test_a_damaged_file_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache file that cannot be read (cut short) gives a parser built from the
    grammar, which parses as one built without a cache."""
    monkeypatch.setenv(parser_cache.ENV, str(tmp_path))
    cached_lark(grammar_text(), **OPTIONS)
    (path,) = tmp_path.iterdir()
    path.write_bytes(path.read_bytes()[:1000])
    damaged = cached_lark(grammar_text(), **OPTIONS)
    text = 'contract "c" "C"\n  licensor party:a\n  licensee party:b\n'
    assert damaged.parse(text) == Lark(grammar_text(), **OPTIONS).parse(text)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file modes are POSIX's")
def test_no_file_is_read_from_a_directory_others_can_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(parser_cache.ENV, str(tmp_path))
    try:
        tmp_path.chmod(0o700)
        assert cache_folder() == tmp_path
        tmp_path.chmod(0o770)
        assert cache_folder() is None
        tmp_path.chmod(0o702)
        assert cache_folder() is None
    finally:
        tmp_path.chmod(0o700)
    monkeypatch.setenv(parser_cache.ENV, "off")
    assert cache_folder() is None


def test_a_folder_that_cannot_be_made_means_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(parser_cache.ENV, str(blocker / "parser"))
    assert cache_folder() is None
    parsed = cached_lark(grammar_text(), **OPTIONS)
    assert parsed.parse('contract "c" "C"\n  licensor party:a\n  licensee party:b\n')
