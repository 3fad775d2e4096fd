"""The documentation site: it builds with `mkdocs build --strict`, every page of the nav is
there, the command-line reference names every command, and the getting-started page
renders in a real browser (headless Chromium), checked on a screenshot.

The screenshot needs /usr/bin/chromium (or `chromium` on PATH); `.ci/run` installs it, and
in CI (`CI` or `CLAUSULA_CI` set) a missing browser is a failure. Elsewhere the check is
skipped, with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from clausula.cli import app

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(REPO / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    return out


def _nav_pages(node: object) -> Iterator[str]:
    if isinstance(node, str):
        if node.endswith(".md"):
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def test_every_nav_page_is_built(site: Path) -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    for page in _nav_pages(config["nav"]):
        built = site / ("index.html" if page == "index.md" else page[:-3] + "/index.html")
        assert built.is_file(), f"{page} was not built ({built})"


def test_getting_started_page_has_its_content(site: Path) -> None:
    html = (site / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert "<h1" in html and "Getting started" in html
    assert "make demo" in html
    assert "is not a declared purpose" in html  # the first error message


def test_api_reference_is_generated(site: Path) -> None:
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in (
        "clausula.policy_set.load",
        "clausula.policy_set.PolicySet",
        "clausula.models.Use",
        "clausula.models.Decision",
        "clausula.diagnostics.PolicyError",
        "clausula.use_input.UseError",
        "clausula.lsp.analyse",
    ):
        assert f'id="{name}"' in html, f"{name} is missing from the API reference"


def _commands(group: Any, prefix: str = "") -> Iterator[str]:
    """Every command and sub-command of a Typer/Click group (duck-typed: Typer may bring
    its own copy of Click)."""
    for name, command in sorted(group.commands.items()):
        if getattr(command, "hidden", False):
            continue
        yield f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")


def test_the_cli_reference_names_every_command() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = list(_commands(typer.main.get_command(app)))
    assert {"check", "eval", "lsp", "consent grant", "report artist"} <= set(commands)
    missing = []
    for command in commands:
        top, _, sub = command.partition(" ")
        if not sub:
            if f"## `clausula {top}`" not in text:
                missing.append(command)
        elif not re.search(rf"`{re.escape(command)}\b", text):
            missing.append(command)
    assert not missing, f"docs/cli.md does not document: {missing}"


# ----------------------------------------------------------------- the browser


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("CLAUSULA_CI"))


def test_getting_started_renders_in_headless_chromium(site: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if _in_ci():
            pytest.fail("CI must run the screenshot check, but chromium is not installed")
        reason = "chromium is not installed (.ci/run installs it; apt-get install chromium)"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    page = site / "getting-started" / "index.html"
    png = tmp_path / "getting-started.png"
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1200,900",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert png.is_file(), (
        f"chromium wrote no screenshot (exit {result.returncode}):\n{result.stderr[-3000:]}"
    )
    assert png.stat().st_size > 20_000, "the screenshot is too small to hold a rendered page"
    _check_rendered(png)


def _check_rendered(png: Path) -> None:
    """The screenshot is a rendered Material page: a coloured header band over a light
    page with dark text, not a blank or error page."""
    import matplotlib.image
    import numpy as np

    pixels = matplotlib.image.imread(str(png))
    assert pixels.shape[:2] == (900, 1200), pixels.shape
    rgb = np.asarray(pixels[..., :3], dtype=float)
    if rgb.max() > 1:  # 8-bit values
        rgb = rgb / 255.0
    gray = rgb.mean(axis=2)
    assert gray.std() > 0.05, "the screenshot is blank"
    assert len(np.unique((rgb * 255).astype(int).reshape(-1, 3), axis=0)) > 50, "too few colours"

    # The theme's header: a solid band of colour across the top (the stylesheet loaded).
    header = rgb[8:40, 300:1100]
    assert header.std(axis=(0, 1)).max() < 0.08, "the header band is not one colour"
    assert abs(header.mean() - 1.0) > 0.2, "no coloured header: the theme's CSS did not load"
    # The page under it: a light background with dark text (the title and paragraphs).
    body = gray[60:900, 0:900]
    assert np.median(body) > 0.85, "the page background is not light"
    dark = (body < 0.5).mean()
    assert 0.005 < dark < 0.5, f"{dark:.1%} of the page is dark text"
