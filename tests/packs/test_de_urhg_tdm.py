"""de-urhg-tdm: what the German TDM rules must NOT ask, and the licence that lifts a
reservation (the contract of the tests, granted by party:label, is needed for that). The
cases where the law adds a reason are in policies/jurisdictions/de-urhg-tdm.test.yaml."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

OPEN = "isrc:DEEXL2500001"  # not reserved, party:label
RESERVED_ELSEWHERE = "isrc:DEEXL2500002"  # reserved by party:other-label
RESERVED_BY_LICENSOR = "isrc:DEEXL2500003"  # reserved by party:label, the test licensor
GEMA = "de-urhg-tdm §§ 16, 19a, 44b (GEMA v OpenAI)"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["de-urhg-tdm"], data="eu-dsm-tdm")


def training(*works: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "t",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "DE",
        "works": list(works),
        "facts": {"lawful_access": True},
    }
    use.update(fields)
    return use


def denied_by(decision: Decision) -> set[str]:
    return {
        r.rule for r in decision.reasons if r.effect in {"deny", "consent-missing", "no-licence"}
    }


def test_44b_2_an_unreserved_lawfully_accessed_work_may_be_mined(law: PolicySet) -> None:
    """§ 44b(2): reproductions of lawfully accessible works for TDM are permitted."""
    decision = law.decide(training(OPEN))
    assert decision.decision == "allow", decision.reasons
    assert [o.rule for o in decision.obligations] == ["de-urhg-tdm § 44b Abs. 2 Satz 2"]


def test_44b_3_the_reserving_rights_holders_own_licence_lifts_the_reservation(
    law: PolicySet,
) -> None:
    """§ 44b(3): uses are permitted only if the rights holder has not reserved them, so the
    rights holder's own licence is what the user needs."""
    decision = law.decide(training(RESERVED_BY_LICENSOR))
    assert decision.decision == "allow", decision.reasons
    assert any(
        r.effect == "licence-met" and r.rule == "de-urhg-tdm § 44b Abs. 3" for r in decision.reasons
    )


def test_gema_memorisation_of_the_licensors_work_is_licensed(law: PolicySet) -> None:
    """GEMA v OpenAI: memorisation needs the rights holder's licence, and has it here."""
    decision = law.decide(training(OPEN, facts={"lawful_access": True, "memorises_works": True}))
    assert decision.decision == "allow", decision.reasons
    decision = law.decide(
        training(RESERVED_ELSEWHERE, facts={"lawful_access": True, "memorises_works": True})
    )
    assert denied_by(decision) == {"de-urhg-tdm § 44b Abs. 3", GEMA}


@pytest.mark.parametrize(("date", "applies"), [("2021-06-06", False), ("2021-06-07", True)])
def test_the_2021_version_applies_from_7_june_2021(
    law: PolicySet, date: str, applies: bool
) -> None:
    decision = law.decide(training(RESERVED_ELSEWHERE, date=date))
    assert ("de-urhg-tdm" in decision.policy.jurisdictions) is applies
    assert (decision.decision == "deny") is applies


def test_the_pack_applies_only_in_germany(law: PolicySet) -> None:
    decision = law.decide(training(RESERVED_ELSEWHERE, territory="AT"))
    assert "de-urhg-tdm" not in decision.policy.jurisdictions
    assert decision.decision == "allow"
