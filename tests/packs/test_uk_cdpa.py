"""uk-cdpa: what the CDPA rules must NOT ask, and what a licence and a consent together
allow (the contract of the tests is granted by party:label). The cases where the law adds
a reason are in policies/jurisdictions/uk-cdpa.test.yaml."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

ALICE_LIVE = "isrc:GBCDP2600001"  # party:label's recording; Alice consented to training
RHYS_LIVE = "isrc:GBCDP2600002"  # party:other-label's recording; Rhys did not consent


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["uk-cdpa"], data="uk-cdpa")


def use(purpose: str, *works: str, **fields: Any) -> dict[str, Any]:
    u: dict[str, Any] = {
        "id": "u",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": purpose,
        "territory": "GB",
        "commercial": True,
        "works": list(works),
        "facts": {"lawful_access": True},
    }
    u.update(fields)
    return u


def test_s29a_commercial_training_with_the_licence_and_the_performers_consent_is_allowed(
    law: PolicySet,
) -> None:
    """s.29A(1) leaves commercial training to licences: the rights holder's licence (the
    test contract of party:label) and the performer's consent (s.182A) together suffice."""
    decision = law.decide(use("training", ALICE_LIVE))
    assert decision.decision == "allow", decision.reasons


def test_s182a_a_voice_replica_that_copies_no_recording_is_not_decided(law: PolicySet) -> None:
    """Part II protects performances and their recordings, not a voice as such: a replica
    made without copying a recording asks nothing of this pack (no personality right)."""
    replica = use(
        "voice_replica",
        artists=["isni:0000000096000021"],
        output={"synthetic_audio": True, "digital_replica": True, "public": True},
        facts={},
    )
    decision = law.decide(replica)
    assert decision.decision == "allow", decision.reasons
    assert "uk-cdpa" in decision.policy.jurisdictions


def test_s29a_the_exception_reaches_only_the_uk(law: PolicySet) -> None:
    decision = law.decide(use("training", RHYS_LIVE, territory="IE"))
    assert "uk-cdpa" not in decision.policy.jurisdictions
    assert decision.decision == "allow"


@pytest.mark.parametrize("territory", ["GB-ENG", "GB-WLS", "GB-SCT", "GB-NIR"])
def test_the_act_extends_to_every_part_of_the_uk(law: PolicySet, territory: str) -> None:
    """The CDPA extends to England and Wales, Scotland and Northern Ireland (s.304 [U])."""
    decision = law.decide(use("training", RHYS_LIVE, territory=territory))
    assert "uk-cdpa" in decision.policy.jurisdictions
    assert decision.decision == "deny"
