"""The engine's structure: what the decision path loads, and the errors the package raises."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import clausula
from clausula import ClausulaError


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


def _every_module() -> list[ModuleType]:
    """Every module of the package but the ledger's migration scripts, which only alembic
    runs (they read its configuration when imported)."""
    return [clausula] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(clausula.__path__, "clausula.")
        if not info.name.startswith("clausula.ledger.migrations.")
    ]


def test_every_error_the_package_defines_sits_under_clausula_error() -> None:
    errors = {
        f"{value.__module__}.{value.__qualname__}": value
        for module in _every_module()
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__.startswith("clausula")
    }
    assert "clausula.use_input.UseError" in errors  # the walk does find the package's errors
    assert len(errors) >= 20
    outside = sorted(name for name, error in errors.items() if not issubclass(error, ClausulaError))
    assert outside == []


def test_errors_that_were_value_errors_still_are() -> None:
    from clausula.dates import DateOutOfRange
    from clausula.json_input import JSONProblems
    from clausula.overrides import OverrideError
    from clausula.simulate.scenario import ScenarioError

    for error in (clausula.UseError, DateOutOfRange, JSONProblems, OverrideError, ScenarioError):
        assert issubclass(error, ValueError)
        assert issubclass(error, clausula.ClausulaError)
