"""The decision path compiled by mypyc (hatch_build.py, `clausula.native`).

- In CI every module that pyproject.toml names is imported compiled (a build that fell
  back to the sources would pass every other test, only more slowly).
- Compiled and from its sources, the engine gives the same decisions, byte for byte: the
  shared corpus and random uses of the shipped policies, decided in this process and in
  one run with `CLAUSULA_PURE_PYTHON=1`.
- A source edited since the build runs instead of the compiled modules, with a warning.

Locally, where the install could not compile (no C compiler), these tests are skipped
with that reason; in CI (`CLAUSULA_CI`) they never are.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from corpus.casefile import all_cases

import clausula
from clausula import native

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "engine"
IN_CI = bool(os.environ.get("CLAUSULA_CI"))


def _named() -> tuple[str, ...]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    paths = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]["compiled"]
    return tuple(sorted(path.removesuffix(".py").replace("/", ".") for path in paths))


def _need_compiled() -> None:
    if not native.compiled_modules() and not IN_CI:
        pytest.skip(
            "the decision path is not compiled here (no C compiler when it was installed, "
            "or CLAUSULA_PURE_PYTHON set): nothing to compare"
        )


def test_ci_runs_every_named_module_compiled() -> None:
    _need_compiled()
    assert native.compiled_modules() == _named()
    import clausula.decide

    assert not clausula.decide.__file__.endswith(".py")


# A script run twice, compiled and from the sources: every decision it makes, one per line.
_DECIDE_ALL = """
import json, sys
import clausula
from clausula import native
jobs = json.load(sys.stdin)
print(json.dumps(native.compiled_modules()))
loaded = {}
for job in jobs:
    key = (job["policies"], job["data"], tuple(job["assume"]))
    if key not in loaded:
        loaded[key] = clausula.load(key[0], data=key[1], assume=key[2])
    try:
        print(loaded[key].decide(job["use"]).to_json())
    except clausula.UseError as error:
        print("UseError:", error)
"""


def _shipped_uses(count: int, seed: int) -> list[dict[str, Any]]:
    """Uses of the shipped policies drawn at random around the example uses of
    benchmarks/decide.py: dates, territories, revenue, licensees and purposes."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from decide import USES
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    rng = random.Random(seed)
    territories = ["DE", "US", "US-TN", "US-CA", "US-NY", "FR", "GB", "JP", "DK", "CN", "KR"]
    purposes = ["training", "fine_tuning", "generation", "voice_replica", "research"]
    licensees = [*sorted({use["licensee"] for use in USES}), "party:nobody-we-know"]
    found = []
    for index in range(count):
        use: dict[str, Any] = dict(rng.choice(USES), id=f"random-{index}")
        use["date"] = (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(1800))).isoformat()
        use["territory"] = rng.choice(territories)
        if rng.random() < 0.3:
            use["purpose"] = rng.choice(purposes)
        if rng.random() < 0.2:
            use["licensee"] = rng.choice(licensees)
        cents = rng.randrange(0, 10_000_000)
        use["metrics"] = {
            **use.get("metrics", {}),
            "revenue": {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"},
        }
        found.append(use)
    return found


def _decide_all(jobs: list[dict[str, Any]], *, pure: bool) -> list[str]:
    env = dict(os.environ)
    env.pop(native.PURE_PYTHON, None)
    if pure:
        env[native.PURE_PYTHON] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _DECIDE_ALL],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
        timeout=600,
    )
    return done.stdout.splitlines()


def test_compiled_and_sources_decide_alike_byte_for_byte() -> None:
    _need_compiled()
    jobs = [
        {
            "policies": str(case.policies),
            "data": str(case.data),
            "assume": list(case.assume),
            "use": case.use,
        }
        for case in all_cases()
    ]
    shipped = {"policies": str(REPO / "policies"), "data": None, "assume": []}
    jobs += [{**shipped, "use": use} for use in _shipped_uses(400, seed=2026)]
    compiled, pure = _decide_all(jobs, pure=False), _decide_all(jobs, pure=True)
    assert json.loads(compiled[0]) == list(_named())
    assert json.loads(pure[0]) == []
    assert len(compiled) == len(jobs) + 1
    decided = sum(1 for line in compiled[1:] if line.startswith("{"))
    assert decided > len(jobs) // 2  # most of them decisions, not refusals
    for job, one, other in zip(jobs, compiled[1:], pure[1:], strict=True):
        assert one == other, job["use"]


def test_an_edited_source_runs_instead_of_the_compiled_modules(tmp_path: Path) -> None:
    _need_compiled()
    copy = tmp_path / "engine"
    shutil.copytree(ENGINE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import warnings, clausula, clausula.decide\n"
        "from clausula import native\n"
        "print(clausula.decide.__file__.endswith('.py'), native.compiled_modules())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop(native.PURE_PYTHON, None)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-W", "always", "-c", script],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=True,
        )

    as_built = run()
    assert as_built.stdout.startswith("False ("), as_built.stdout
    assert "changed since it was compiled" not in as_built.stderr
    plans = copy / "clausula" / "plans.py"
    plans.write_text(plans.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = run()
    assert edited.stdout.strip() == "True ()", edited.stdout
    assert "clausula.plans changed since it was compiled" in edited.stderr
    assert clausula.native.compiled_modules() == _named()  # this process: unchanged
