"""No contract pays an artist whose consent it does not require: the checker refuses (or
warns about) such a contract, and the engine denies a use whose payees were not asked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import clausula

REPO = Path(__file__).resolve().parents[1]

HEAD = """\
contract "c" "A test licence"
  licensor party:example-label
  licensee party:aria-labs
  effective 2026-01-01 for 3 years
  territory worldwide
  scope catalogue of party:example-label

  clause 1 "Purposes"
    permit generation, style_imitation, training
"""
POOL = """
  clause 5.1 "Pool"
    pay 30% * use.revenue * weight to each artist in use.attribution
"""


def check(tmp_path: Path, text: str) -> list[clausula.Diagnostic]:
    path = tmp_path / "c.clause"
    path.write_text(text, encoding="utf-8")
    return clausula.check([path])


@pytest.mark.parametrize(
    ("payee", "role"),
    [
        ("each artist in use.attribution", "the artists in use.attribution"),
        ("each artist in use.artists", "the artists in use.artists"),
        ("each performer of use.works", "the performers of use.works"),
        ("each artist in use.touched", "everyone the use touches"),
    ],
)
def test_paying_artists_nobody_asked_is_refused(tmp_path: Path, payee: str, role: str) -> None:
    text = HEAD + f'\n  clause 5.1 "Pool"\n    pay 100 USD * share to {payee}\n'
    [d] = check(tmp_path, text)
    assert d.severity == "error"
    assert (d.span.line, d.span.column) == (12, 28)
    assert f"clause 5.1 pays {role}" in d.message and "requires their consent" in d.message
    assert d.hint is not None and "use.touched" in d.hint


def test_consent_of_a_narrower_set_does_not_cover_a_wider_payment(tmp_path: Path) -> None:
    text = HEAD + (
        '\n  clause 3.1 "Performers"\n'
        "    require consent of each performer of use.works for use.purpose\n" + POOL
    )
    [d] = check(tmp_path, text)
    assert d.severity == "error" and "use.attribution" in d.message


def test_consent_of_everyone_touched_covers_every_payee(tmp_path: Path) -> None:
    text = HEAD + (
        '\n  clause 3.1 "Opt-in"\n'
        "    require consent of each artist in use.touched for use.purpose in writing\n"
        + POOL
        + '\n  clause 5.2 "Fee"\n    pay 10 USD * share to each performer of use.works\n'
    )
    assert check(tmp_path, text) == []


def test_a_conditional_requirement_is_a_warning_naming_the_clause(tmp_path: Path) -> None:
    text = HEAD + (
        '\n  clause 3.2 "Only for generation"\n'
        "    when use.purpose is generation\n"
        "    require consent of each artist in use.attribution for use.purpose\n" + POOL
    )
    [d] = check(tmp_path, text)
    assert d.severity == "warning"
    assert "clause 3.2 requires only when its conditions hold" in d.message
    assert "denied rather than paid" in d.message


def test_the_engine_denies_a_use_the_conditional_consent_did_not_reach(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies" / "data", policies / "data")
    (policies / "c.clause").write_text(
        HEAD + '\n  clause 3.2 "Only for generation"\n'
        "    when use.purpose is generation\n"
        "    require consent of each artist in use.attribution for use.purpose\n" + POOL,
        encoding="utf-8",
    )
    loaded = clausula.load(policies)
    use = {
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "territory": "US",
        "attribution": {"isni:0000000121032683": "1"},
        "metrics": {"revenue": {"amount": "100.00", "currency": "USD"}},
    }
    # Generation: the requirement bears, Vance has a US generation grant: paid.
    paid = loaded.decide({**use, "purpose": "generation"})
    assert paid.decision == "pay" and paid.payments[0].payee == "isni:0000000121032683"
    # Style imitation: the requirement does not bear, so the engine's own opt-in rule denies.
    denied = loaded.decide({**use, "purpose": "style_imitation"})
    assert denied.decision == "deny" and denied.payments == []
    [reason] = [r for r in denied.reasons if r.rule == "opt-in"]
    assert reason.effect == "consent-missing" and reason.source is None
    assert "c §5.1 would pay isni:0000000121032683" in reason.message


def test_the_shipped_contracts_check_without_findings() -> None:
    assert clausula.check([REPO / "policies"]) == []
