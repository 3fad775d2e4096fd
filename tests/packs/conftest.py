"""Loading jurisdiction packs for their tests: the shipped vocabulary and packs, a contract
that permits everything and asks for nothing (so that the law alone decides), and the
test's own data directory."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

import clausula

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "policies" / "jurisdictions"
HERE = Path(__file__).parent

PERMISSIVE = """\
contract "permissive" "A licence that permits every purpose and asks for nothing"
  licensor party:label
  licensee party:dev
  effective 2020-01-01 for 30 years
  territory worldwide
  scope all works

  clause 1 "Every purpose"
    permit training, fine_tuning, generation, voice_replica, style_imitation, sampling
"""

Loader = Callable[..., clausula.PolicySet]


@pytest.fixture(scope="module")
def load_packs(tmp_path_factory: pytest.TempPathFactory) -> Loader:
    """`load_packs(["us-tn-elvis"], data="tn", assume=[...])` → a PolicySet.

    `data` names a directory under tests/packs/data/.
    """
    cache: dict[tuple[tuple[str, ...], str, tuple[str, ...]], clausula.PolicySet] = {}

    def load(packs: Iterable[str], data: str, assume: Iterable[str] = ()) -> clausula.PolicySet:
        key = (tuple(packs), data, tuple(assume))
        if key not in cache:
            root = tmp_path_factory.mktemp("policies")
            shutil.copy(ROOT / "policies" / "vocabulary.clause", root / "vocabulary.clause")
            (root / "jurisdictions").mkdir()
            for pack in key[0]:
                shutil.copy(PACKS / f"{pack}.clause", root / "jurisdictions" / f"{pack}.clause")
            (root / "permissive.clause").write_text(PERMISSIVE)
            cache[key] = clausula.load(root, data=HERE / "data" / data, assume=list(key[2]))
        return cache[key]

    return load
