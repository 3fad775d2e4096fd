"""The plan memo (`clausula.plan_memo`): kept only when a plan reads nothing its key
leaves out. That uses alike share a plan and decide as alone is a property test over the
corpus's world (`tests/test_corpus.py`, "plans shared by uses alike")."""

from __future__ import annotations

from pathlib import Path

import pytest

import clausula
from clausula.plan_memo import PlanMemo, plan_key
from clausula.use_input import parse_use

WORLD = Path(__file__).resolve().parent / "corpus" / "world"

CONTRACT = """\
contract "reads-{what}" "A contract whose condition reads {what}"
  licensor party:label-a
  licensee party:dev
  effective 2026-01-01
  territory worldwide
  scope all works

  clause 1 "Grant"
    permit generation

  clause 2 "Not for this"
    when {condition}
    deny "refused"
"""

USE = {
    "date": "2026-06-01",
    "licensee": "party:dev",
    "purpose": "generation",
    "territory": "US",
    "metrics": {"revenue": {"amount": "10.00", "currency": "USD"}},
}


@pytest.mark.parametrize(
    ("what", "condition", "other"),
    [
        (
            "revenue",
            "use.revenue > 1000 USD",
            {"metrics": {"revenue": {"amount": "5000.00", "currency": "USD"}}},
        ),
        ("generations", "use.generations >= 100", {"metrics": {"generations": 100}}),
    ],
)
def test_figures_join_the_key_when_a_condition_reads_them(
    tmp_path: Path, what: str, condition: str, other: dict[str, object]
) -> None:
    (tmp_path / "contract.clause").write_text(
        CONTRACT.format(what=what, condition=condition), encoding="utf-8"
    )
    policies = clausula.load(tmp_path, data=WORLD)
    first, second = policies.decide(USE), policies.decide({**USE, **other})
    assert (first.decision, second.decision) == ("allow", "deny")
    assert plan_key(parse_use(USE)) == plan_key(parse_use({**USE, **other}))
    memo = policies._plans
    assert isinstance(memo, PlanMemo) and len(memo._plans) == 2
    assert policies.decide({**USE, **other, "id": "again"}).decision == "deny"
    assert len(memo._plans) == 2 and memo._hits == 1


def test_no_memo_when_a_condition_reads_the_id(tmp_path: Path) -> None:
    (tmp_path / "contract.clause").write_text(
        CONTRACT.format(what="the id", condition='use.id is "refuse-me"'), encoding="utf-8"
    )
    policies = clausula.load(tmp_path, data=WORLD)
    first, second = policies.decide(USE), policies.decide({**USE, "id": "refuse-me"})
    assert (first.decision, second.decision) == ("allow", "deny")
    assert policies._plans is None


def test_a_memo_when_conditions_read_what_the_key_keeps(tmp_path: Path) -> None:
    (tmp_path / "contract.clause").write_text(
        CONTRACT.format(what="the territory", condition="use.territory in DE"), encoding="utf-8"
    )
    policies = clausula.load(tmp_path, data=WORLD)
    assert policies.decide(USE).decision == "allow"
    assert policies.decide({**USE, "territory": "DE"}).decision == "deny"
    assert isinstance(policies._plans, PlanMemo)
    assert len(policies._plans._plans) == 2
    policies.decide({**USE, "id": "another", "metrics": {"generations": 7}})
    assert len(policies._plans._plans) == 2  # planned as the first


def test_no_memo_on_a_ledger(tmp_path: Path) -> None:
    """Grants read from a ledger change under the policy set: no plan is kept."""
    (tmp_path / "contract.clause").write_text(
        CONTRACT.format(what="the territory", condition="use.territory in DE"), encoding="utf-8"
    )
    policies = clausula.load(tmp_path, data=WORLD, ledger=str(tmp_path / "ledger.db"))
    assert policies.decide(USE).decision == "allow"
    assert not isinstance(policies._plans, PlanMemo)


def test_the_key_keeps_what_a_plan_may_read() -> None:
    """Every field but the id, the metrics and the weights tells two plans apart."""
    key = plan_key(parse_use(USE))
    for other in (
        {"date": "2026-06-02"},
        {"licensee": "party:deve"},
        {"purpose": "training"},
        {"territory": "US-TN"},
        {"works": ["isrc:QZCRP2600001"]},
        {"artists": ["party:ada"]},
        {"attribution": {"party:ada": "0.5"}},
        {"output": {"public": True}},
        {"context": ["parody"]},
        {"commercial": True},
        {"facts": {"paid_session": True}},
    ):
        assert plan_key(parse_use({**USE, **other})) != key, other
    first = {**USE, "attribution": {"party:ada": "0.5", "party:ben": "0.25"}}
    second = {**first, "attribution": {"party:ada": "0.1", "party:ben": "0.8"}}
    assert plan_key(parse_use(first)) == plan_key(parse_use(second))


def test_the_memo_rests_where_uses_seldom_repeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a window of lookups with few hits, uses are planned without the memo for a
    while, then it is tried again; the decisions are the same throughout."""
    from clausula import plan_memo

    monkeypatch.setattr(plan_memo, "_WINDOW", 8)
    monkeypatch.setattr(plan_memo, "_RESTING", 5)
    (tmp_path / "contract.clause").write_text(
        CONTRACT.format(what="the territory", condition="use.territory in DE"), encoding="utf-8"
    )
    policies = clausula.load(tmp_path, data=WORLD)
    bare = clausula.PolicySet(policies.compiled, policies._records, policies.data)
    memo = policies._plans
    assert isinstance(memo, PlanMemo)
    days = [f"2026-06-{day:02d}" for day in range(1, 31)]
    kept = []
    for day in days[:15]:
        use = {**USE, "date": day}
        assert policies.decide(use).to_json() == bare.decide(use).to_json()
        kept.append(len(memo._plans))
    # eight kept (no hit among them), five planned alone, then kept again
    assert kept == [1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 9, 10]
    for day in days[13:15]:  # hits again
        assert (
            policies.decide({**USE, "date": day}).to_json()
            == bare.decide({**USE, "date": day}).to_json()
        )
    assert memo._hits == 2


def test_threads_share_one_memo_and_decide_as_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four threads deciding uses that repeat, with a memo small enough to be cleared
    again and again under them: every decision is the one made without a memo."""
    from concurrent.futures import ThreadPoolExecutor

    from clausula import plan_memo

    monkeypatch.setattr(plan_memo, "MAX_PLANS", 7)
    (tmp_path / "contract.clause").write_text(
        CONTRACT.format(what="the territory", condition="use.territory in DE"), encoding="utf-8"
    )
    policies = clausula.load(tmp_path, data=WORLD)
    bare = clausula.PolicySet(policies.compiled, policies._records, policies.data)
    uses = [
        {
            **USE,
            "id": f"u{i}",
            "date": f"2026-06-{1 + i // 3 % 11:02d}",  # three alike in a row
            "territory": ("US", "DE", "FR")[i // 33 % 3],
            "metrics": {"revenue": {"amount": f"{i}.00", "currency": "USD"}},
        }
        for i in range(600)
    ]
    want = [bare.decide(use).to_json() for use in uses]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda use: policies.decide(use).to_json(), uses))
    assert got == want
    memo = policies._plans
    assert isinstance(memo, PlanMemo) and memo._hits > 0
