"""us-ca-minors-contracts: what Cal. Fam. Code §§ 6750-6753 must NOT ask (the cases where
the law adds a reason are in policies/jurisdictions/us-ca-minors-contracts.test.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

LILY = "isni:0000000098000017"  # minor, court-approved licence
OWEN = "isni:0000000098000025"  # minor, licence not court approved
BEN = "isni:0000000098000041"  # adult
IVY = "isni:000000009800005X"  # 18 on 2027-03-01, licence not court approved
S6751 = "us-ca-minors-contracts § 6751"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["us-ca-minors-contracts"], data="us-ca-minors")


def replica(artist: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "r",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-CA",
        "commercial": True,
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def rules(decision: Decision) -> set[str]:
    return {r.rule for r in decision.reasons if r.rule.startswith("us-ca-minors-contracts")}


def test_6751_an_approved_licence_allows_with_the_coogan_duty(law: PolicySet) -> None:
    decision = law.decide(replica(LILY))
    assert decision.decision == "allow", decision.reasons
    assert [o.rule for o in decision.obligations] == ["us-ca-minors-contracts § 6752"]


def test_6750_an_adult_needs_no_court_approval(law: PolicySet) -> None:
    decision = law.decide(replica(BEN))
    assert decision.decision == "allow"
    assert rules(decision) == set()


@pytest.mark.parametrize(("date", "minor"), [("2027-02-28", True), ("2027-03-01", False)])
def test_6751_asks_nothing_once_the_person_is_18(law: PolicySet, date: str, minor: bool) -> None:
    """Assumption A3: the rule checks only persons who are minors on the date of the use."""
    decision = law.decide(replica(IVY, date=date))
    assert (S6751 in rules(decision)) is minor
    assert (decision.decision == "deny") is minor


def test_6750_a_non_commercial_use_is_not_a_contract_in_the_entertainment_field(
    law: PolicySet,
) -> None:
    assert law.decide(replica(OWEN, commercial=False)).decision == "allow"


@pytest.mark.parametrize(("territory", "applies"), [("US-TX", True), ("GB", True), ("US-CA", True)])
def test_a_californian_minor_is_protected_wherever_the_use(
    law: PolicySet, territory: str, applies: bool
) -> None:
    decision = law.decide(replica(OWEN, territory=territory))
    assert ("us-ca-minors-contracts" in decision.policy.jurisdictions) is applies
