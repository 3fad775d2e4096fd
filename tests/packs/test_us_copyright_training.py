"""us-copyright-training: what the US training rules must NOT ask, and the risks they
state (the cases where the law adds a reason are in
policies/jurisdictions/us-copyright-training.test.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

LICENSED = "isrc:USCPY2600001"  # party:label, the test contract's licensor
OTHER = "isrc:USCPY2600002"  # party:other-label
PIRATED = "us-copyright-training § 107, pirated sources"
REMOVAL = "us-copyright-training § 1202(b)(1), removal"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["us-copyright-training"], data="us-copyright")


def training(*works: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "t",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "US",
        "works": list(works),
    }
    use.update(fields)
    return use


def denied_by(decision: Decision) -> set[str]:
    return {
        r.rule for r in decision.reasons if r.effect in {"deny", "consent-missing", "no-licence"}
    }


def test_107_training_on_lawfully_acquired_works_is_fair_use(law: PolicySet) -> None:
    """Bartz and Kadrey: training is (highly) transformative; with lawful sources and no
    market harm shown, no licence is needed: only the § 1202(b) duty comes with it."""
    decision = law.decide(training(OTHER))
    assert decision.decision == "allow", decision.reasons
    assert [o.rule for o in decision.obligations] == ["us-copyright-training § 1202(b)"]


def test_107_pirated_works_of_the_licensor_are_licensed(law: PolicySet) -> None:
    """A licence from the rights holder cures the source (Bartz: a separate justification
    is needed for each use; the licence is one)."""
    assert law.decide(training(LICENSED, facts={"pirated_sources": True})).decision == "allow"
    decision = law.decide(training(LICENSED, OTHER, facts={"pirated_sources": True}))
    assert denied_by(decision) == {PIRATED}


def test_504c_the_risk_states_the_statutory_damages_and_the_uncertainty(law: PolicySet) -> None:
    decision = law.decide(training(OTHER, facts={"pirated_sources": True}))
    (risk,) = [r.message for r in decision.reasons if r.effect == "risk" and r.rule == PIRATED]
    assert "USD 150,000 if wilful" in risk and "Kadrey v. Meta" in risk
    assert not decision.payments


def test_1202b_removal_with_fair_use_training_is_not_denied(law: PolicySet) -> None:
    """Kadrey's DMCA order: where the copying is fair use, removing CMI cannot further an
    infringement, so § 1202(b)(1) is not violated; the duty remains."""
    decision = law.decide(training(OTHER, facts={"cmi_removed": True}))
    assert decision.decision == "allow", decision.reasons
    assert REMOVAL not in denied_by(decision)


@pytest.mark.parametrize(("date", "bound"), [("1998-10-27", False), ("1998-10-28", True)])
def test_1202_applies_from_the_dmca(law: PolicySet, date: str, bound: bool) -> None:
    """Pub. L. 105-304 was enacted on 1998-10-28. (The test contract starts in 2020, so
    the duty is read from the reasons of a decision denied for want of a licence.)"""
    decision = law.decide(training(LICENSED, date=date))
    duties = {r.rule for r in decision.reasons if r.effect == "oblige"}
    assert ("us-copyright-training § 1202(b)" in duties) is bound


def test_the_pack_applies_only_in_the_united_states(law: PolicySet) -> None:
    decision = law.decide(training(OTHER, territory="CA", facts={"pirated_sources": True}))
    assert "us-copyright-training" not in decision.policy.jurisdictions
    assert decision.decision == "allow"
