"""Effect and reason kinds are named once (`clausula.kinds`) and the engine keeps to them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula.compiled import CompiledEffect
from clausula.kinds import DENYING, EFFECT_KINDS, REASON_EFFECTS, EffectKind
from clausula.models import Reason
from clausula.use_input import UseError

ENGINE = Path(clausula.__file__).parent
FIXTURE = Path(__file__).parent / "fixtures" / "decide"
ARTISTS = ["isni:0000000121032683", "isni:0000000368570205", "isni:0000000520744186"]
WORKS = ["isrc:USEXL2400102", "isrc:DEEXL2500217", "isrc:GBEXL2400530", "isrc:QZIND2400007"]


@pytest.fixture(scope="module")
def policy() -> clausula.PolicySet:
    return clausula.load(FIXTURE)


def test_the_denying_reasons_are_spelled_in_one_module() -> None:
    """No module but `kinds` lists the denying reasons (they were copied five times, two
    copies naming a `no-permit` the engine never gives)."""
    spelled = re.compile(
        r"""["'](deny|consent-missing|no-licence)["']\s*,\s*["'](deny|consent-missing|no-licence)["']"""
    )
    copies = [
        str(path.relative_to(ENGINE))
        for path in sorted(ENGINE.rglob("*.py"))
        if path.name != "kinds.py" and spelled.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == []
    assert set(REASON_EFFECTS) >= DENYING
    assert "no-permit" not in REASON_EFFECTS


def test_the_reason_schema_describes_every_reason_effect() -> None:
    description = Reason.model_fields["effect"].description or ""
    named = set(re.findall(r"[a-z]+(?:-[a-z]+)*", description))
    assert set(REASON_EFFECTS) <= named


def test_compiled_effects_are_of_a_known_kind(policy: clausula.PolicySet) -> None:
    assert get_args(CompiledEffect.__annotations__["kind"]) in ((), get_args(EffectKind))
    kinds = {
        effect.kind
        for contracts in policy.compiled.contracts_by_licensee.values()
        for block in (*contracts, *policy.compiled.jurisdictions)
        for provision in block.provisions
        for effect in provision.effects
    }
    assert kinds and kinds <= set(EFFECT_KINDS)


uses = st.fixed_dictionaries(
    {
        "id": st.just("u"),
        "date": st.sampled_from(["2025-12-31", "2026-03-01", "2026-07-01", "2027-01-01"]),
        "licensee": st.sampled_from(["party:dev", "party:someone-else"]),
        "purpose": st.sampled_from(["training", "generation", "voice_replica"]),
        "territory": st.sampled_from(["US", "US-TN", "DE", "FR", "JP"]),
        "works": st.lists(st.sampled_from(WORKS), unique=True, max_size=3),
        "artists": st.lists(st.sampled_from(ARTISTS), unique=True, max_size=2),
        "context": st.lists(st.sampled_from(["parody"]), unique=True, max_size=1),
        "metrics": st.just({"revenue": {"amount": "100", "currency": "USD"}, "generations": 3}),
    }
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(use=uses)
def test_reasons_are_reason_effects_and_deny_exactly_when_one_denies(
    policy: clausula.PolicySet, use: dict[str, Any]
) -> None:
    try:
        decision = policy.decide(use)
    except UseError:
        return
    effects = [reason.effect for reason in decision.reasons]
    assert set(effects) <= set(REASON_EFFECTS)
    assert (decision.decision == "deny") == any(effect in DENYING for effect in effects)


def test_every_effect_node_is_in_the_union_mypy_checks() -> None:
    """`ast.AnyEffect` lists every effect node: one left out would escape the
    `assert_never` checks that name each place a new effect must reach."""
    from clausula import ast

    # By name: a `slots=True` dataclass is a new class, and the one it replaced may still be
    # listed among the subclasses until it is collected.
    names = {node.__name__ for node in ast.Effect.__subclasses__()}
    assert {node.__name__ for node in get_args(ast.AnyEffect)} == names


def test_the_places_the_contributors_page_names_end_with_assert_never() -> None:
    """docs/contributing.md, "Adding an effect": each place it names handles every kind of
    effect and ends with `assert_never`, so that mypy names it for a new one."""
    page = (Path(__file__).parents[1] / "docs" / "contributing.md").read_text(encoding="utf-8")
    places = re.findall(r"^\| `([a-z_.]+\.[A-Za-z_.]+)`", page, flags=re.M)
    assert len(places) >= 6, places
    for place in places:
        module_name, _, name = place.partition(".")
        if module_name in ("batch", "prove"):
            sub, _, name = name.partition(".")
            module_name = f"{module_name}.{sub}"
        assert "assert_never(" in _source_of(f"clausula.{module_name}", name), place


def _source_of(module_name: str, name: str) -> str:
    """The source text of `name` (`function` or `Class.method`) in the module's `.py` file
    (read from the file: a module compiled by mypyc has no source for `inspect`)."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin is not None, module_name
    origin = Path(spec.origin)
    path = origin.with_name(origin.name.split(".")[0] + ".py")
    text = path.read_text(encoding="utf-8")
    scope: ast.AST = ast.parse(text)
    for part in name.split("."):
        scope = next(
            node
            for node in ast.iter_child_nodes(scope)
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == part
        )
    return ast.get_source_segment(text, scope) or ""
