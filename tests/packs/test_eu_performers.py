"""eu-performers: what the performers' rules must NOT ask (the positive cases are in
policies/jurisdictions/eu-performers.test.yaml): mining is left to the DSM exceptions,
and the DSM duties start on their own dates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

PAUL_LIVE = "isrc:NLPRF2600002"  # Paul Horn, no consent, held by party:other-label
CLARA_LIVE = "isrc:FRPRF2600001"  # Clara Stein, consented to sampling


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["eu-performers"], data="eu-performers")


def use(purpose: str, work: str, **fields: Any) -> dict[str, Any]:
    u: dict[str, Any] = {
        "id": "u",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": purpose,
        "territory": "NL",
        "works": [work],
    }
    u.update(fields)
    return u


def rules(decision: Decision) -> set[str]:
    return {r.rule for r in decision.reasons if r.rule.startswith("eu-performers")}


def test_art2b_training_alone_is_left_to_the_tdm_exceptions(law: PolicySet) -> None:
    """A1: training that does not reproduce the recordings in the model or its output is
    text and data mining (DSM Arts. 3-4 cover performers' rights); this pack asks nothing."""
    decision = law.decide(use("training", PAUL_LIVE))
    assert decision.decision == "allow", decision.reasons
    assert rules(decision) == set()


def test_art2b_sampling_without_consent_is_denied_with_consent_allowed(law: PolicySet) -> None:
    """InfoSoc Art. 2(b): performers authorise reproduction of fixations, in whole or in part."""
    assert law.decide(use("sampling", PAUL_LIVE)).decision == "deny"
    assert law.decide(use("sampling", CLARA_LIVE, territory="FR")).decision == "allow"


@pytest.mark.parametrize(
    ("date", "rule", "bound"),
    [
        ("2021-06-06", "eu-performers DSM art. 18(1)", False),
        ("2021-06-07", "eu-performers DSM art. 18(1)", True),
        ("2022-06-06", "eu-performers DSM art. 19(1)", False),
        ("2022-06-07", "eu-performers DSM art. 19(1)", True),
    ],
)
def test_dsm_duties_start_on_their_dates(law: PolicySet, date: str, rule: str, bound: bool) -> None:
    """Art. 29 (transposition by 2021-06-07) for Art. 18; Art. 27 (2022-06-07) for Art. 19."""
    decision = law.decide(
        use("training", CLARA_LIVE, date=date, facts={"exploits_licensed_performances": True})
    )
    assert (rule in {o.rule for o in decision.obligations}) is bound


def test_art20_adjustment_only_when_remuneration_is_disproportionately_low(law: PolicySet) -> None:
    """DSM Art. 20(1): when the remuneration originally agreed turns out disproportionately low."""
    decision = law.decide(
        use("training", CLARA_LIVE, facts={"exploits_licensed_performances": True})
    )
    assert "eu-performers DSM art. 20(1)" not in {o.rule for o in decision.obligations}


def test_the_pack_applies_only_in_the_eu(law: PolicySet) -> None:
    decision = law.decide(use("sampling", PAUL_LIVE, territory="GB"))
    assert "eu-performers" not in decision.policy.jurisdictions
    assert decision.decision == "allow"
