"""The engine's structure: what the decision path loads, and the errors the package raises."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(statement: str, modules: list[str]) -> dict[str, bool]:
    """Which of `modules` a fresh interpreter has loaded after running `statement`."""
    probe = f"{statement}; import sys; print(*[m in sys.modules for m in {modules!r}])"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return dict(zip(modules, (word == "True" for word in result.stdout.split()), strict=True))


def test_the_decision_path_does_not_import_the_checker_or_parser() -> None:
    loaded = _loaded_after(
        "import clausula.decide",
        ["clausula.decide", "clausula.checker", "clausula.parser", "clausula.compiler"],
    )
    assert loaded == {
        "clausula.decide": True,
        "clausula.checker": False,
        "clausula.parser": False,
        "clausula.compiler": False,
    }


def test_the_package_loads_the_checker_only_when_a_policy_set_is_loaded() -> None:
    assert _loaded_after("import clausula", ["clausula.checker"]) == {"clausula.checker": False}
    assert _loaded_after("import clausula; clausula.load", ["clausula.checker"]) == {
        "clausula.checker": True
    }
