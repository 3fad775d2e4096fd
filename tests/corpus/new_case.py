"""Write `expected.json` for a case of the shared corpus, from `PolicySet.decide`.

    .venv/bin/python tests/corpus/new_case.py tests/corpus/cases/NN-my-case [...]

The file it writes is the engine's answer, not yet the right one: read it against the
case's clauses and data, and say in `review` of `case.yaml` what it shows and why it is
right, before committing. An existing `expected.json` is not overwritten unless
`--force` is given (and then read the difference: a changed answer is a changed rule).
The tests never write it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import clausula

sys.path.insert(0, str(Path(__file__).resolve().parent))
from casefile import read_case


def main(argv: list[str]) -> int:
    force = "--force" in argv
    directories = [Path(a) for a in argv if a != "--force"]
    if not directories:
        print(__doc__, file=sys.stderr)
        return 2
    for directory in directories:
        case = read_case(directory)
        if case.expected_path.exists() and not force:
            print(f"{case.expected_path} exists; --force to rewrite it", file=sys.stderr)
            return 1
        policy = clausula.load(case.policies, data=case.data, assume=case.assume)
        decision = policy.decide(case.use)
        case.expected_path.write_text(decision.to_json() + "\n", encoding="utf-8")
        print(f"{case.expected_path}: {decision.decision} — now review it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
