"""One case of the shared decision corpus: where its policies, data and use are, and the
decision every path must give for it.

A case is a directory under `tests/corpus/cases/` holding

- `case.yaml`: `title`, `review` (why the expected decision is right, in the domain's
  words: written by the author after reading the engine's answer), and optionally
  `policies` and `data` (directories relative to the case; default `policy` and `data`)
  and `assume` (proposed laws to treat as enacted, as for `clausula eval --assume`);
- `use.json`: the use, as a client would send it;
- `expected.json`: the decision, exactly the bytes of `Decision.to_json()` and a newline.

`new_case.py` writes `expected.json` from the engine; nothing in the tests ever does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent
CASES = CORPUS / "cases"
KEYS = {"title", "review", "policies", "data", "assume"}


@dataclass(frozen=True)
class Case:
    """A case read from its directory."""

    name: str
    directory: Path
    title: str
    review: str
    policies: Path
    data: Path
    assume: tuple[str, ...]
    use: dict[str, Any]

    @property
    def expected_path(self) -> Path:
        return self.directory / "expected.json"

    def expected(self) -> str:
        """The expected decision JSON, without the final newline."""
        return self.expected_path.read_text(encoding="utf-8").removesuffix("\n")


def read_case(directory: Path) -> Case:
    """The case in `directory`; raises ValueError naming what is wrong with it."""
    meta = yaml.safe_load((directory / "case.yaml").read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or not KEYS.issuperset(meta):
        raise ValueError(f"{directory}/case.yaml: a mapping with keys among {sorted(KEYS)}")
    for key in ("title", "review"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise ValueError(f"{directory}/case.yaml: `{key}` is required")
    use = json.loads((directory / "use.json").read_text(encoding="utf-8"))
    return Case(
        name=directory.name,
        directory=directory,
        title=meta["title"],
        review=meta["review"],
        policies=(directory / meta.get("policies", "policy")).resolve(),
        data=(directory / meta.get("data", "data")).resolve(),
        assume=tuple(meta.get("assume", ())),
        use=use,
    )


def all_cases() -> list[Case]:
    """Every case of the corpus, in the order of their directory names."""
    return [read_case(d) for d in sorted(CASES.iterdir()) if (d / "case.yaml").is_file()]
