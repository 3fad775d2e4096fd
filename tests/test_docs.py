"""The documentation is tested like code.

- every ```clause block in docs/**/*.md is a complete file that parses and checks with no
  diagnostics (the standard vocabulary is used when the block declares none);
- every ```python block in docs/python.md runs, from the repository root, in order, sharing
  one namespace (so a later block may use what an earlier one defined);
- every page named in the nav of mkdocs.yml exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import clausula

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"

# A fenced block: an opening fence of three or more backticks with a language, the body, and
# a closing fence of the same backticks at the same indentation.
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def _blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """(line number of the opening fence, code) of every block in `language`."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        if match.group("lang") != language:
            continue
        indent = match.group("indent")
        body = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line
            for line in match.group("body").split("\n")
        )
        found.append((text.count("\n", 0, match.start()) + 1, body))
    return found


def _clause_cases() -> Iterator[object]:
    for page in sorted(DOCS.rglob("*.md")):
        for index, (line, code) in enumerate(_blocks(page, "clause")):
            name = f"{page.relative_to(DOCS).as_posix()}#{index}(line {line})"
            yield pytest.param(page, line, code, id=name)


CLAUSE_CASES = list(_clause_cases())


def test_the_docs_have_clause_examples() -> None:
    assert len(CLAUSE_CASES) >= 20


@pytest.mark.parametrize(("page", "line", "code"), CLAUSE_CASES)
def test_clause_block_checks(page: Path, line: int, code: str, tmp_path: Path) -> None:
    path = tmp_path / "example.clause"
    path.write_text(code, encoding="utf-8")
    diagnostics = clausula.check([path])
    rendered = "\n".join(d.render() for d in diagnostics)
    assert not diagnostics, (
        f"{page.relative_to(REPO)}:{line}: the example does not check:\n{rendered}"
    )


PYTHON_PAGE = DOCS / "python.md"


def test_python_blocks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocks of python.md run in order from the repository root, like a session."""
    blocks = _blocks(PYTHON_PAGE, "python")
    assert blocks, "docs/python.md has no ```python block"
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, code in blocks:
        try:
            exec(compile(code, f"docs/python.md:{line}", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message names the block
            pytest.fail(f"docs/python.md:{line}: the example raised {error!r}")
    assert os.getcwd() == str(REPO)


def test_readme_python_blocks_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's Python example runs from the repository root and decides as it reads:
    an artist with a valid grant is paid."""
    blocks = _blocks(REPO / "README.md", "python")
    assert blocks
    monkeypatch.chdir(REPO)
    for line, code in blocks:
        exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
    assert "pay [('isni:0000000121032683', Decimal('216.00'))]" in capsys.readouterr().out


def _nav_pages(node: object) -> Iterator[str]:
    if isinstance(node, str):
        if not re.match(r"^[a-z]+://", node):
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def test_mkdocs_nav_pages_exist() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["site_name"] == "Clausula"
    assert config["theme"]["name"] == "material"
    pages = list(_nav_pages(config["nav"]))
    assert pages, "mkdocs.yml has an empty nav"
    missing = [page for page in pages if not (DOCS / page).is_file()]
    assert not missing, f"pages named in mkdocs.yml but not in docs/: {missing}"


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages <= listed, f"pages not in the nav of mkdocs.yml: {sorted(pages - listed)}"


def test_relative_links_resolve() -> None:
    """Links between pages (`[text](decisions.md#…)`) point at pages that exist."""
    broken = []
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        text = _FENCE.sub("", text)
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            if not (page.parent / target).resolve().exists():
                broken.append(f"{page.relative_to(DOCS)} → {target}")
    assert not broken, f"broken links: {broken}"


def test_the_decision_shown_in_decisions_md_is_the_engines() -> None:
    """docs/decisions.md shows the decision on policies/uses/09-optin-generation-us.json;
    it must be what the engine answers today (the version hash aside)."""
    import json

    import clausula

    text = (DOCS / "decisions.md").read_text(encoding="utf-8")
    block = text.split("## The decision\n\n```json\n", 1)[1].split("```", 1)[0]
    shown = json.loads(block)
    use = json.loads((REPO / "policies" / "uses" / "09-optin-generation-us.json").read_text())
    actual = json.loads(clausula.load(REPO / "policies").decide(use).to_json())
    shown["policy"].pop("version")
    actual["policy"].pop("version")
    assert shown == actual


# ----------------------------------------------------------------- console examples

CLAUSULA = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "clausula"


def _console_cases() -> Iterator[object]:
    """Every ```console block of the docs and the README that starts with `$ clausula`,
    unless the line before it says `<!-- not run: why -->`."""
    for page in [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]:
        lines = page.read_text(encoding="utf-8").split("\n")
        for line, body in _blocks(page, "console"):
            if "not run:" in lines[line - 2] or not body.startswith("$ clausula "):
                continue
            name = f"{page.relative_to(REPO).as_posix()}:{line}"
            yield pytest.param(body, id=name)


CONSOLE_CASES = list(_console_cases())


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def test_the_docs_have_console_examples() -> None:
    assert len(CONSOLE_CASES) >= 3


@pytest.mark.parametrize("body", CONSOLE_CASES)
def test_console_examples_are_what_the_engine_prints(body: str) -> None:
    """The output shown under `$ clausula …` is what the command prints, from the
    repository root, in an 80-column terminal; `…` stands for lines left out."""
    import shlex
    import subprocess

    command, *shown = body.rstrip("\n").split("\n")
    args = shlex.split(command.removeprefix("$ clausula "))
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [str(CLAUSULA if CLAUSULA.exists() else "clausula"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    printed = _collapsed(result.stdout + result.stderr)
    chunks: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == "…":
            chunks.append([])
        else:
            chunks[-1].append(line)
    position = 0
    for chunk in chunks:
        wanted = _collapsed("\n".join(chunk))
        if not wanted:
            continue
        found = printed.find(wanted, position)
        assert found >= 0, f"not printed by `{command}`:\n{wanted}\n\nprinted:\n{printed}"
        position = found + len(wanted)
