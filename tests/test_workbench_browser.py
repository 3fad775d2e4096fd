"""The workbench in a real browser: headless Chromium from the package manager, driven by
Playwright for Python (its driver ships in the wheel; no browser is downloaded: the
system's chromium is launched by path).

One server on a copy of `policies/`, one browser, one page for the whole file (fast): a
clause with a typo shows the checker's diagnostic, fixing it clears it, a use is decided
and explained, moving a scenario parameter re-runs the simulation and changes the chart.
Screenshots go to build/workbench/ (and the docs' copies in docs/img/ are refreshed from
them with CLAUSULA_UPDATE_SCREENSHOTS=1).

In CI (`CI` or `CLAUSULA_CI` set) a missing chromium or Playwright is a failure; elsewhere
the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "build" / "workbench"
DOCS_IMG = REPO / "docs" / "img"  # workbench-write.png, workbench-negotiate.png
TOKEN = "browser-test-token"
CONTRACT = "contracts/aria-optin.clause"


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("CLAUSULA_CI"))


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"CI must run the workbench in a browser, but {reason}")
    print(f"skipped: {reason}")
    pytest.skip(reason)


def _smaller_scenario(path: Path) -> None:
    """The shipped scenario on a smaller catalogue and fewer months: the page does the
    same with it, in a fraction of the time (benchmarks/workbench.py times the full one;
    the docs' screenshots are taken with it)."""
    import yaml

    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenario["months"] = 2
    scenario["catalogue"]["synthetic"].update(artists=60, works=240)
    scenario["usage"]["purposes"]["generation"]["uses_per_month"] = 400
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from clausula.reload import LivePolicies
    from clausula.service import ServiceSettings, create_app

    policies = tmp_path_factory.mktemp("bench") / "policies"
    shutil.copytree(REPO / "policies", policies)
    if not os.environ.get("CLAUSULA_UPDATE_SCREENSHOTS"):
        _smaller_scenario(policies / "scenarios" / "blanket-vs-optin.yaml")
    live = LivePolicies(policies=policies)
    live.reload(force=True)
    app = create_app(live, ServiceSettings(token=TOKEN))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "the workbench server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    browser_path = _chromium()
    if browser_path is None:
        _unavailable("chromium is not installed (.ci/run installs it; apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        view = browser.new_page(viewport={"width": 1280, "height": 800})
        view.set_default_timeout(20_000)
        view.goto(f"{server}/?token={TOKEN}")
        view.wait_for_selector("body[data-ready=true]")
        yield view
        browser.close()


def _shoot(page: Any, name: str) -> Path:
    """A screenshot in build/workbench/ (and, with CLAUSULA_UPDATE_SCREENSHOTS=1, the docs'
    copy in docs/img/), checked to be a rendered page: large, and not one colour."""
    shot = SHOTS / f"{name}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000, f"{shot} is too small to hold the rendered page"
    import matplotlib.image
    import numpy as np

    pixels = np.asarray(matplotlib.image.imread(str(shot)))[..., :3]
    assert pixels.shape[:2] == (800, 1280), pixels.shape
    assert float(pixels.std()) > 0.05, f"{shot} is blank"
    if os.environ.get("CLAUSULA_UPDATE_SCREENSHOTS") and name in ("write", "negotiate"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMG / f"workbench-{name}.png")
    return shot


def _editor_text(page: Any) -> str:
    text: str = page.input_value("#editor")
    return text


def test_a_typo_shows_the_checkers_diagnostic_and_fixing_it_clears_it(page: Any) -> None:
    page.select_option("#file-list", CONTRACT)
    page.wait_for_function(
        "document.querySelector('#file-name').textContent.includes('aria-optin')"
    )
    page.wait_for_selector("#diagnostic-summary.ok")
    text = _editor_text(page)
    assert "artist_pool * use.revenue" in text
    page.fill("#editor", text.replace("artist_pool * use.revenue", "artist_pol * use.revenue"))
    page.dispatch_event("#editor", "input")
    item = page.wait_for_selector("#diagnostics li")
    shown = item.inner_text()
    assert "unknown name `artist_pol`" in shown
    assert "did you mean `artist_pool`?" in shown
    assert "^^^^^^^^^^" in shown  # the caret under the name
    assert page.locator("#highlight mark.diag").count() == 1  # underlined in the text
    # The live regression view: with the clause broken, no saved use can be decided.
    page.wait_for_function(
        "document.querySelector('#regression').textContent.includes('has errors')"
    )
    _shoot(page, "write")

    page.fill("#editor", text)
    page.dispatch_event("#editor", "input")
    page.wait_for_selector("#diagnostic-summary.ok")
    assert page.locator("#diagnostics li").count() == 0


def test_hovering_a_name_shows_its_definition(page: Any) -> None:
    text = _editor_text(page)
    lines = text.split("\n")
    number = next(i for i, x in enumerate(lines) if "pay max(artist_pool" in x)
    column = lines[number].index("artist_pool") + 3
    # With the mouse: the pointer over the name.
    box = page.locator("#editor").bounding_box()
    page.evaluate("document.querySelector('#editor').scrollTop = 0")
    page.evaluate(f"document.querySelector('#editor').scrollTop = {max(0, number - 5)} * 19.5")
    scrolled = page.evaluate("document.querySelector('#editor').scrollTop")
    x = (
        box["x"]
        + 8
        + (column - 0.5)
        * page.evaluate(
            "(() => { const c = document.createElement('canvas').getContext('2d');"
            " const s = getComputedStyle(document.querySelector('#editor'));"
            " c.font = s.fontSize + ' ' + s.fontFamily; return c.measureText('M').width; })()"
        )
    )
    y = box["y"] + 8 + (number + 0.5) * 19.5 - scrolled
    page.mouse.move(x, y)
    page.wait_for_function(
        "document.querySelector('#hover').textContent.includes('parameter artist_pool')"
    )
    assert "30%" in page.inner_text("#hover")
    # With the keyboard: F12 on the name goes to its declaration.
    offset = sum(len(x) + 1 for x in lines[:number]) + column
    page.evaluate(f"document.querySelector('#editor').setSelectionRange({offset}, {offset})")
    page.focus("#editor")
    page.keyboard.press("F12")
    page.wait_for_function(
        "(() => { const e = document.querySelector('#editor');"
        " const n = e.value.slice(0, e.selectionStart).split('\\n').length;"
        " return e.value.split('\\n')[n - 1].includes('parameter artist_pool'); })()"
    )


def test_a_changed_clause_marks_the_saved_uses_it_changes(page: Any) -> None:
    text = _editor_text(page)
    page.fill("#editor", text.replace("parameter artist_pool = 30%", "parameter artist_pool = 20%"))
    page.dispatch_event("#editor", "input")
    page.wait_for_selector("#regression li[data-changed=true]")
    changed = page.locator("#regression li[data-changed=true]").all_inner_texts()
    assert any("pool by attribution" in c for c in changed), changed
    assert page.locator("#regression li[data-changed=false]").count() > 10
    page.fill("#editor", text)
    page.dispatch_event("#editor", "input")
    page.wait_for_function("!document.querySelector('#regression li[data-changed=true]')")


def test_a_use_is_decided_with_payments_explanation_and_links_to_the_clause(page: Any) -> None:
    page.click("#tab-try")
    page.select_option("#saved-use", label="uses/02-optin-training.json")
    page.click("#decide-button")
    page.wait_for_selector("#decision-outcome")
    assert page.inner_text("#decision-outcome") == "pay"
    answer = page.inner_text("#answer")
    assert "1500.00 USD" in answer and "party:example-label" in answer
    assert "aria-optin-2026 §4.1" in answer
    assert "Explanation" in answer and "/tmp" not in answer
    _shoot(page, "try")
    # A reason's link opens the clause in the editor, on its line.
    page.click("#answer a.place >> text=contracts/aria-optin.clause")
    page.wait_for_selector("#panel-write:not([hidden])")
    caret_line = page.evaluate(
        "document.querySelector('#editor').value"
        ".slice(0, document.querySelector('#editor').selectionStart).split('\\n').length"
    )
    assert caret_line > 1


def test_moving_a_parameter_reruns_the_simulation_and_changes_the_chart(page: Any) -> None:
    page.click("#tab-negotiate")
    assert page.input_value("#scenario-list") == "scenarios/blanket-vs-optin.yaml"
    page.wait_for_selector("#variant-list option[value=opt-in]", state="attached")
    page.select_option("#variant-list", "opt-in")
    page.wait_for_selector("#ctl-aria-optin-2026_artist_pool")
    page.wait_for_function("document.querySelector('#sim-status').textContent.includes('answered')")
    bar = "#charts svg:first-child rect[data-series=current]"
    before = page.locator(bar).first.get_attribute("data-value")
    rows_before = page.locator("#sim-table tbody tr.changed").count()
    assert rows_before == 0  # the scenario's own values: nothing differs from the baseline
    served = page.evaluate("document.body.dataset.simulated")
    slider = "#ctl-aria-optin-2026_artist_pool"
    page.focus(slider)
    for _ in range(10):
        page.keyboard.press("ArrowLeft")  # 30% → 20%, with the keyboard
    assert page.input_value(slider) == "20"
    page.wait_for_function(f"document.body.dataset.simulated !== '{served}'")
    page.wait_for_function("document.querySelector('#sim-status').textContent.includes('answered')")
    after = page.locator(bar).first.get_attribute("data-value")
    assert before != after, "the artists' bar did not move"
    assert float(after or 0) < float(before or 0)  # a smaller pool pays the artists less
    assert page.locator("#sim-table tbody tr.changed").count() >= 1
    _shoot(page, "negotiate")
    assert not page.inner_text("#errors")


def test_server_errors_are_shown_in_the_page(page: Any) -> None:
    page.click("#tab-negotiate")  # the variant form is on this tab: do not rely on test order
    page.wait_for_selector("#panel-negotiate:not([hidden])")
    page.fill("#variant-name", "Not A Name")
    page.click("#save-variant")
    page.wait_for_function("document.querySelector('#errors').textContent.length > 0")
    assert "lower-case letters" in page.inner_text("#errors")
    assert page.is_visible("#panel-negotiate")  # the page is still there, not blank


def test_every_control_has_an_accessible_name(page: Any) -> None:
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((e) => {
          if (e.getAttribute('aria-label') || e.closest('label')) return false;
          if (e.id && document.querySelector(`label[for="${e.id}"]`)) return false;
          if (e.tagName === 'BUTTON' && e.textContent.trim()) return false;
          return true;
        }).map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    # The tabs work with the keyboard.
    page.focus("#tab-negotiate")
    page.keyboard.press("ArrowLeft")
    assert page.is_visible("#panel-try") and not page.is_visible("#panel-negotiate")
