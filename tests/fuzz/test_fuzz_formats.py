"""Fuzzing of the exchange formats of issue 17: ODRL policies and TDM signals.

An ODRL policy is imported or refused with JSON Pointers, never a traceback (random JSON,
and the fixtures with one value anywhere replaced by random JSON: this found a crash on a
list as `@type`); the TDM signal parsers take any text. Small fixed budgets
(`ODRL_FUZZ` raises the ODRL one).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from clausula.odrl import OdrlError, import_policy
from clausula.tdm.signals import (
    content_usage_denies_training,
    declaration_of_fields,
    declaration_of_html,
    parse_fields,
    parse_robots,
    parse_tdmrep,
)

FUZZ_EXAMPLES = int(os.environ.get("ODRL_FUZZ", "60"))  # a small fixed budget by default
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "odrl"


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "@type",
                        "uid",
                        "permission",
                        "action",
                        "constraint",
                        "duty",
                        "leftOperand",
                        "rightOperand",
                        "assigner",
                        "target",
                        "cl:effect",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_random_json_never_crashes(value: Any) -> None:
    with contextlib.suppress(OdrlError):
        import_policy(value, licensee="party:aria-labs")


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from(
        ["2026-01-01", "cl:training", "use", "eq", "isAnyOf", "payAmount", "EUR", "party:x"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=st.data())
def test_mutated_fixtures_never_crash(data: st.DataObject) -> None:
    """A valid policy with one value anywhere replaced by random JSON: imported, or refused
    with pointers; never a traceback."""
    fixture = data.draw(st.sampled_from(sorted(FIXTURES.glob("*.json"))))
    policy = json.loads(fixture.read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(_paths(policy)[1:]))
    target = policy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(_JSON)
    try:
        imported = import_policy(policy, licensee="party:aria-labs")
    except OdrlError as error:
        assert all(isinstance(p, str) and (p == "" or p.startswith("/")) for p, _ in error.problems)
    else:
        assert imported.text.startswith("contract ")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.text(max_size=30))
def test_signal_parsers_never_crash(text: str, path: str) -> None:
    parse_tdmrep(text)
    parse_robots(text, "/" + path)
    declaration_of_html(text)
    declaration_of_fields(parse_fields(text))
    content_usage_denies_training(text)
    json.dumps(parse_tdmrep(text.encode("utf-8", "replace"))[1])
