"""Properties of the SMT encoding (issue 16), over random input:

- on the shipped policy set, the encoded decision of a random use (without works or
  artists) is the engine's: licensed or denied, and the exact amount per payee;
- on random small contracts, every witness `analyze` gives is confirmed by the engine, and
  a clause proved dead never shows in a decision of random uses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausula import load
from clausula.prove.analyze import analyze
from clausula.prove.load import encoder_for, space_for
from clausula.prove.load import load as prove_load
from clausula.prove.procedure import decision
from clausula.prove.solver import closed_world

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"

_SHIPPED = prove_load([POLICIES], POLICIES / "data")
_SPACE = space_for([_SHIPPED])
_ATOMS: dict = {}
_DECISION = decision(encoder_for(_SPACE, _SHIPPED, _ATOMS), _SHIPPED.assumed)
_ENGINE = _SHIPPED.policy.policy_set
_BOOLEAN_FACTS = sorted(n for n, f in _SPACE.facts.items() if f.kind == "boolean")


@st.composite
def shipped_uses(draw: st.DrawFn) -> dict:
    return {
        "date": draw(st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31))).isoformat(),
        "licensee": draw(st.sampled_from(_SPACE.licensees)),
        "purpose": draw(st.sampled_from(_SPACE.purposes)),
        "territory": draw(st.sampled_from([c.code for c in _SPACE.territories])),
        "output": {f: draw(st.booleans()) for f in _SPACE.flags},
        "context": draw(st.lists(st.sampled_from(_SPACE.contexts), max_size=2, unique=True)),
        "commercial": draw(st.booleans()),
        "metrics": {
            "revenue": {
                "amount": str(Decimal(draw(st.integers(0, 10**7))) / 100),
                "currency": "USD",
            },
            "generations": draw(st.integers(0, 10**6)),
            "streams": draw(st.integers(0, 1000)),
        },
        "facts": {
            name: draw(st.booleans())
            for name in draw(st.lists(st.sampled_from(_BOOLEAN_FACTS), max_size=3, unique=True))
        },
    }


def _fixed(use: dict) -> list:
    space = _SPACE
    out = [
        space.date == dt.date.fromisoformat(use["date"]).toordinal(),
        space.licensee == space.licensees.index(use["licensee"]),
        space.purpose == space.purposes.index(use["purpose"]),
        space.territory == [c.code for c in space.territories].index(use["territory"]),
        space.commercial == use["commercial"],
        space.cents == int(Decimal(use["metrics"]["revenue"]["amount"]) * 100),
        space.generations == use["metrics"]["generations"],
        space.streams == use["metrics"]["streams"],
    ]
    out += [v == use["output"][f] for f, v in space.output.items()]
    out += [v == (c in use["context"]) for c, v in space.context.items()]
    for name, fact in space.facts.items():
        given = name in use["facts"]
        out.append(fact.given == given)
        if given:
            out.append(fact.value == use["facts"][name])
    return out


@settings(max_examples=60, deadline=None)
@given(shipped_uses())
def test_the_encoded_decision_is_the_engines(use: dict) -> None:
    solver = z3.Solver()
    solver.add(*_SPACE.bounds(), *closed_world(_ATOMS), *_fixed(use))
    assert solver.check() == z3.sat
    model = solver.model()
    engine = _ENGINE.decide({**use, "works": [], "artists": [], "attribution": {}})
    licensed = z3.is_true(model.eval(_DECISION.licensed, model_completion=True))
    assert licensed == (engine.decision != "deny"), engine.reasons
    for payee, amount in _DECISION.paid.items():
        exact = model.eval(amount, model_completion=True).as_fraction()
        paid = sum(
            (Decimal(str(p.amount)) for p in engine.payments if p.payee == payee), Decimal(0)
        )
        assert abs(Decimal(exact.numerator) / Decimal(exact.denominator) - paid) <= Decimal("0.01")


# ----------------------------------------------------------------- random contracts

_CONDITIONS = [
    "use.purpose is generation",
    "use.purpose in (training, fine_tuning)",
    "use.territory in EU",
    "use.territory in (US, DE)",
    "use.date >= 2027-01-01",
    "use.date < 2026-07-01",
    "use.output.public",
    "not use.output.labelled_ai",
    "parody in use.context",
    "use.facts.gpai_model",
    'use.facts.role is "deployer"',
    "use.territory in CN",
    "use.revenue > 100 USD",
]
_EFFECTS = [
    "permit generation, training",
    "permit style_imitation",
    'deny "No"',
    "pay 10% * use.revenue to party:example-label",
    "pay max(20% * use.revenue, 0.01 USD * use.generations) to party:example-label",
    'oblige "Report"',
]


@st.composite
def contracts(draw: st.DrawFn) -> str:
    lines = [
        'contract "random" "A random contract"',
        "  licensor party:example-label",
        "  licensee party:random-labs",
        "  effective 2026-01-01 for 2 years",
        "  territory worldwide except CN, RU",
        "  scope catalogue of party:example-label",
        "",
    ]
    for number in range(1, draw(st.integers(1, 4)) + 1):
        lines.append(f'  clause {number} "Clause {number}"')
        if number > 1 and draw(st.booleans()) and draw(st.booleans()):
            lines.append(f"    notwithstanding clause {draw(st.integers(1, number - 1))}")
        for condition in draw(st.lists(st.sampled_from(_CONDITIONS), max_size=2)):
            lines.append(f"    when {condition}")
        for condition in draw(st.lists(st.sampled_from(_CONDITIONS), max_size=1)):
            lines.append(f"    unless {condition}")
        lines.append(f"    {draw(st.sampled_from(_EFFECTS))}")
        lines.append("")
    return "\n".join(lines)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(contracts(), st.lists(shipped_uses(), min_size=5, max_size=5))
def test_witnesses_are_confirmed_and_dead_clauses_never_apply(
    tmp_path_factory, text: str, uses: list[dict]
) -> None:
    directory = tmp_path_factory.mktemp("random")
    (directory / "random.clause").write_text(text, encoding="utf-8")
    from clausula.diagnostics import PolicyError

    try:
        engine = load(directory)
    except PolicyError:
        return  # the checker refuses some random texts (a pay without a permit, …)
    report = analyze([directory])
    assert not report.of("engine-disagrees"), text
    dead = {f.message.split(" can never apply")[0] for f in report.of("dead")}
    for use in uses:
        use = {**use, "licensee": "party:random-labs", "facts": {}}
        try:
            decided = engine.decide(use)
        except Exception:  # a negative payment is refused; analyze reports it
            continue
        shown = {r.rule for r in decided.reasons if r.effect in ("permit", "deny", "oblige")}
        shown |= {p.rule for p in decided.payments}
        assert not dead & shown, (text, use)
