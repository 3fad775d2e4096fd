"""us-ny-right-of-privacy: what N.Y. Civil Rights Law §§ 50-51 must NOT ask (the cases
where it adds a reason are in policies/jurisdictions/us-ny-right-of-privacy.test.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

MAYA = "isni:0000000097000015"  # living, no consent
LEO = "isni:0000000097000023"  # living, written consent
MOSS = "isni:0000000097000066"  # died 2019
S50 = "us-ny-right-of-privacy § 50"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["us-ny-right-of-privacy"], data="us-ny-privacy")


def replica(artist: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "r",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-NY",
        "commercial": True,
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def denied_by(decision: Decision) -> set[str]:
    return {
        r.rule for r in decision.reasons if r.effect in {"deny", "consent-missing", "no-licence"}
    }


def test_50_written_consent_allows_and_none_denies(law: PolicySet) -> None:
    assert law.decide(replica(LEO)).decision == "allow"
    assert denied_by(law.decide(replica(MAYA))) == {S50}


def test_50_protects_only_living_persons(law: PolicySet) -> None:
    """§ 50: "any living person" (the dead are for § 50-f)."""
    assert law.decide(replica(MOSS)).decision == "allow"


def test_50_a_non_commercial_use_that_is_not_advertising_is_not_trade(law: PolicySet) -> None:
    assert law.decide(replica(MAYA, commercial=False)).decision == "allow"


@pytest.mark.parametrize(
    ("territory", "applies"), [("US-NY", True), ("US", True), ("US-NJ", False)]
)
def test_51_uses_within_the_state(law: PolicySet, territory: str, applies: bool) -> None:
    """§ 51: used "within this state"; a nationwide release is used in New York too."""
    decision = law.decide(replica(MAYA, territory=territory))
    assert ("us-ny-right-of-privacy" in decision.policy.jurisdictions) is applies
    assert (decision.decision == "deny") is applies


@pytest.mark.parametrize(("date", "applies"), [("1995-10-31", False), ("1995-11-01", True)])
def test_the_voice_is_decided_from_the_1995_amendment(
    law: PolicySet, date: str, applies: bool
) -> None:
    decision = law.decide(replica(MAYA, date=date))
    assert ("us-ny-right-of-privacy" in decision.policy.jurisdictions) is applies
