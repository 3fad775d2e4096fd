"""The wheel's build hook: the decision path compiled to C with mypyc.

The modules named under `[tool.hatch.build.targets.wheel.hooks.custom] compiled` in
pyproject.toml are the same typed Python sources, compiled by mypyc (the compiler mypy
ships, which black and mypy itself are built with) into extension modules next to them.
Nothing else changes: the sources stay the one definition of every rule, and a
decision is the same, byte for byte, compiled or not (the test suite runs against the
compiled modules in CI). A use is decided about 1.4× faster (docs/performance.md).

With no C compiler, or with `CLAUSULA_PURE_PYTHON=1` in the environment, the wheel is
built from the sources alone, with a warning. The hook writes `_compiled_from.json`
(the SHA-256 of each source compiled); `clausula.native` loads the sources instead of
the compiled modules when one of them has changed since (an edit in a checkout).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE_ROOT = "engine"  # the directory that holds the package `clausula`
RECORD = "clausula/_compiled_from.json"
# mypy reads the sources only to know their types: the build environment has none of the
# package's dependencies, so their imports are `Any` (mypyc then makes generic calls there,
# as Python would); the modules are checked strictly by `make lint`, not here.
MYPY_CONFIG = """\
[mypy]
python_version = 3.11
ignore_missing_imports = True
follow_imports = silent
"""
SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="clausula-compiled",
    ext_modules=mypycify({paths!r} + ["--config-file", {config!r}], opt_level="3"),
)
"""


class CompiledDecisionPath(BuildHookInterface):
    """Compiles `compiled` (paths under `engine/`) in place before the wheel is made."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        engine = Path(self.root) / PACKAGE_ROOT
        _remove_compiled(engine)
        if os.environ.get("CLAUSULA_PURE_PYTHON"):
            _warn("CLAUSULA_PURE_PYTHON is set: the wheel holds the sources only")
            return
        paths: list[str] = list(self.config.get("compiled", []))
        with tempfile.TemporaryDirectory() as temp:
            config = Path(temp) / "mypy.ini"
            config.write_text(MYPY_CONFIG, encoding="utf-8")
            setup = Path(temp) / "setup.py"
            setup.write_text(SETUP.format(paths=paths, config=str(config)), encoding="utf-8")
            command = [
                sys.executable,
                str(setup),
                "build_ext",
                "--inplace",
                "--parallel",
                str(os.cpu_count() or 1),
                "--build-temp",
                str(Path(temp) / "objects"),
                "--build-lib",
                str(Path(temp) / "lib"),
            ]
            done = subprocess.run(
                command, cwd=engine, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
            )
        if done.returncode:
            _remove_compiled(engine)
            tail = "\n".join(done.stdout.decode("utf-8", "replace").splitlines()[-15:])
            _warn(
                f"mypyc could not compile the decision path; the wheel holds the sources only:\n{tail}"
            )
            return
        record = {path: _sha256(engine / path) for path in paths}
        (engine / RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", "utf-8")
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].extend(
            [f"/{PACKAGE_ROOT}/clausula/**/*.so", f"/{PACKAGE_ROOT}/{RECORD}"]
        )
        if version != "editable":
            # mypyc's shared library sits beside the package (the editable install finds
            # it in engine/, which it puts on the path: a copy would go stale).
            for library in engine.glob("*__mypyc.*"):
                build_data["force_include"][str(library)] = library.name


def _remove_compiled(engine: Path) -> None:
    """Extension modules and the record of an earlier build (another Python's, say)."""
    for found in [*engine.glob("*__mypyc.*"), *engine.glob("clausula/**/*.so")]:
        found.unlink()
    (engine / RECORD).unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _warn(message: str) -> None:
    print(f"clausula build: {message}", file=sys.stderr)
