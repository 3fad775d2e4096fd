"""The compiled prefilters never drop what could hold.

The compiler narrows, per (purpose, territory), the provisions of a block and the packs
of a policy set that can hold (`Candidates`), and makes a condition false at once when a
fact it cannot do without is missing. Both are optimisations: these properties check, on
the shipped policies and random uses, that whatever they leave out is indeed false.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clausula
from clausula import PolicySet
from clausula.context import Context
from clausula.decide import condition_holds, use_facts
from clausula.use_input import parse_use

POLICIES = Path(__file__).resolve().parents[1] / "policies"
SHIPPED: PolicySet = clausula.load(POLICIES, assume=["us-nofakes-2026", "dk-deepfake"])
VOCABULARY = SHIPPED._compiled.vocabulary
TERRITORIES = ["DE", "DK", "FR", "GB", "US", "US-TN", "US-CA", "US-IL", "US-NY", "CN", "JP", "NO"]
CONTEXTS = sorted(VOCABULARY.contexts)


def _fact_values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "boolean":
        return st.booleans()
    if kind == "date":
        return st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat)
    return st.sampled_from(["provider", "deployer"])


@st.composite
def uses(draw: st.DrawFn) -> dict[str, Any]:
    facts = {
        name: draw(_fact_values(declared.kind))
        for name, declared in sorted(VOCABULARY.facts.items())
        if draw(st.booleans())
    }
    return {
        "id": "u",
        "date": draw(st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31))).isoformat(),
        "licensee": draw(st.sampled_from(["party:aria-labs", "party:tessitura-ai"])),
        "purpose": draw(st.sampled_from(sorted(VOCABULARY.purposes))),
        "territory": draw(st.sampled_from(TERRITORIES)),
        "context": draw(st.lists(st.sampled_from(CONTEXTS), max_size=2, unique=True)),
        "works": ["isrc:USUM71703861"],
        "output": {
            "synthetic_audio": draw(st.booleans()),
            "digital_replica": draw(st.booleans()),
            "public": draw(st.booleans()),
        },
        "facts": facts,
    }


def _context(raw: dict[str, Any]) -> Context:
    use = parse_use(raw)
    compiled = SHIPPED._compiled
    return Context(use, SHIPPED._records.catalogue, use_facts(use, compiled))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uses())
def test_no_provision_left_out_could_hold(raw: dict[str, Any]) -> None:
    ctx = _context(raw)
    compiled = SHIPPED._compiled
    blocks = [
        *compiled.jurisdictions,
        *(c for cs in compiled.contracts_by_licensee.values() for c in cs),
    ]
    for block in blocks:
        selected = dict(block.candidates(ctx.purpose, ctx.territory))
        for index, provision in enumerate(block.provisions):
            holds = all(condition_holds(c, ctx, provision.label) for c in provision.when)
            if index not in selected:
                assert not holds, f"{provision.label} left out for {ctx.purpose} in {ctx.territory}"
            elif selected[index]:
                assert holds, f"{provision.label} settled for {ctx.purpose} in {ctx.territory}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uses())
def test_no_pack_left_out_could_apply(raw: dict[str, Any]) -> None:
    ctx = _context(raw)
    compiled = SHIPPED._compiled
    selected = dict(compiled.jurisdictions_for(ctx.purpose, ctx.territory))
    for index, pack in enumerate(compiled.jurisdictions):
        applies = all(condition_holds(c, ctx, pack.name) for c in pack.applies)
        if index not in selected:
            assert not applies, f"{pack.name} left out"
        elif selected[index]:
            assert applies, f"{pack.name} settled"


def test_the_prefilter_narrows_the_shipped_packs() -> None:
    """Not a speed test: the index must actually leave packs out and settle some, or it
    does nothing."""
    compiled = SHIPPED._compiled
    selected = {
        compiled.jurisdictions[i].name: settled
        for i, settled in compiled.jurisdictions_for("training", "US-IL")
    }
    assert "eu-dsm-tdm" not in selected and "us-ca-digital-replica" not in selected
    assert selected["us-il-digital-replica"] is True  # `applies when use.territory in US-IL`
    # `in US-TN or (in US and any(artist … residence in US-TN))`: the artists decide
    assert selected["us-tn-elvis"] is False
    assert selected["eu-ai-act"] is False  # `… or use.facts.gpai_eu_market`: a fact decides
    # … but in the EU it applies whatever the facts say, and so does ELVIS in Tennessee
    for purpose, territory, pack in [
        ("generation", "DE", "eu-ai-act"),
        ("training", "US-TN", "us-tn-elvis"),
    ]:
        settled = {
            compiled.jurisdictions[i].name: known
            for i, known in compiled.jurisdictions_for(purpose, territory)
        }
        assert settled[pack] is True, pack
