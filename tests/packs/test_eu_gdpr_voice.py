"""eu-gdpr-voice: the GDPR on a person's voice, and how it sits beside the packs that
already decide voice replicas in the EU (AI Act Art. 50(4), the Danish draft § 73 a).

The positive cases (a reason the law adds) are in policies/jurisdictions/eu-gdpr-voice.test.yaml;
here are the cases where the law must add nothing, and the checks across packs: a satire
the Danish draft and the AI Act allow is not denied by the GDPR, and a clone without consent
that the AI Act only labels is denied by it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

VOGT = "isni:0000000095000011"  # living adult, no consent
KLEIN = "isni:000000009500002X"  # living adult, consented
BERG = "isni:0000000095000046"  # died 2020-01-01
ART6 = "eu-gdpr-voice art. 6(1)(a)"
DENYING = {"deny", "consent-missing", "no-licence"}
REPLICA = {"synthetic_audio": True, "digital_replica": True, "public": True}


def replica(artist: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "r",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "DE",
        "commercial": True,
        "artists": [artist],
        "output": dict(REPLICA),
    }
    use.update(fields)
    return use


def denied_by(decision: Decision) -> set[str]:
    return {r.rule for r in decision.reasons if r.effect in DENYING}


@pytest.fixture(scope="module")
def gdpr(load_packs: Loader) -> PolicySet:
    return load_packs(["eu-gdpr-voice"], data="eu-gdpr-voice")


@pytest.fixture(scope="module")
def eu(load_packs: Loader) -> PolicySet:
    """Every pack that decides a voice replica in Denmark, the Danish draft assumed."""
    return load_packs(
        ["eu-ai-act", "dk-deepfake", "eu-gdpr-voice"], data="eu-gdpr-voice", assume=["dk-deepfake"]
    )


def test_art6_clone_without_consent_is_denied_with_its_fine(gdpr: PolicySet) -> None:
    """Art. 6(1): processing is lawful only if one of (a)-(f) applies; none is stated."""
    decision = gdpr.decide(replica(VOGT))
    assert decision.decision == "deny"
    assert denied_by(decision) == {ART6}
    assert any(r.effect == "risk" and "Art. 83(5)" in r.message for r in decision.reasons)


def test_art6_consent_given_allows(gdpr: PolicySet) -> None:
    """Art. 6(1)(a): the data subject has given consent (recorded in the ledger)."""
    decision = gdpr.decide(replica(KLEIN))
    assert decision.decision == "allow", decision.reasons


def test_recital_27_deceased_persons_are_outside_the_regulation(gdpr: PolicySet) -> None:
    """Recital 27: the Regulation does not apply to the personal data of deceased persons."""
    decision = gdpr.decide(replica(BERG))
    assert decision.decision == "allow", decision.reasons
    assert not any(r.rule == ART6 for r in decision.reasons)


@pytest.mark.parametrize(("date", "applies"), [("2018-05-24", False), ("2018-05-25", True)])
def test_art99_applies_from_25_may_2018(gdpr: PolicySet, date: str, applies: bool) -> None:
    """Art. 99(2): it shall apply from 25 May 2018."""
    decision = gdpr.decide(replica(VOGT, date=date))
    assert ("eu-gdpr-voice" in decision.policy.jurisdictions) is applies
    # (The test contract starts in 2020, so both dates are denied for want of a licence.)
    assert (ART6 in denied_by(decision)) is applies


def test_art3_a_use_outside_the_eu_by_a_controller_outside_it_is_not_decided(
    gdpr: PolicySet,
) -> None:
    """Art. 3(1): establishment in the Union; the pack does not encode Art. 3(2)."""
    decision = gdpr.decide(replica(VOGT, territory="US-CA"))
    assert "eu-gdpr-voice" not in decision.policy.jurisdictions
    assert decision.decision == "allow"


def test_art6_bulk_training_that_does_not_learn_voices_is_not_decided(gdpr: PolicySet) -> None:
    """Assumption A1: only training that names a voice, or says it learns the voices."""
    use = {
        "id": "t",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "DE",
        "works": ["isrc:DEGDP2600001"],
    }
    decision = gdpr.decide(use)
    assert decision.decision == "allow", decision.reasons
    assert decision.obligations == []


def test_art6f_legitimate_interests_carry_training_but_not_a_commercial_replica(
    gdpr: PolicySet,
) -> None:
    """Art. 6(1)(f): unless the interests are overridden by the data subject's (A3)."""
    training = replica(
        VOGT, purpose="training", output={}, facts={"lawful_basis": "legitimate_interests"}
    )
    assert gdpr.decide(training).decision == "allow"
    clone = replica(VOGT, facts={"lawful_basis": "legitimate_interests"})
    assert denied_by(gdpr.decide(clone)) == {ART6}


def test_art85_satire_the_danish_draft_and_the_ai_act_allow_is_not_denied(eu: PolicySet) -> None:
    """Art. 85: a satire, labelled and not harmful, is allowed by draft § 73 a's parody
    exception and only labelled under AI Act Art. 50(4); the GDPR must not deny it."""
    use = replica(
        VOGT,
        territory="DK",
        context=["satire"],
        output={**REPLICA, "labelled_ai": True},
        facts={"imitation_harms_person": False},
    )
    decision = eu.decide(use)
    assert decision.decision == "allow", decision.reasons
    assert {"eu-ai-act", "dk-deepfake", "eu-gdpr-voice"} <= set(decision.policy.jurisdictions)


def test_art6_clone_the_ai_act_only_labels_is_denied_by_the_gdpr(load_packs: Loader) -> None:
    """AI Act Art. 50(4) asks only for a label on an evidently artistic deep fake; the
    GDPR still needs a lawful basis for a commercial clone of a living singer's voice."""
    ai_act_alone = load_packs(["eu-ai-act"], data="eu-gdpr-voice")
    with_gdpr = load_packs(["eu-ai-act", "eu-gdpr-voice"], data="eu-gdpr-voice")
    use = replica(VOGT, context=["artistic"], output={**REPLICA, "labelled_ai": True})
    assert ai_act_alone.decide(use).decision == "allow"
    decision = with_gdpr.decide(use)
    assert decision.decision == "deny"
    assert denied_by(decision) == {ART6}


def test_art7_3_a_satire_after_withdrawal_is_still_exempt(gdpr: PolicySet) -> None:
    """Art. 85 exempts the processing from Art. 6 and 7 alike: a withdrawal does not deny
    a satire."""
    use = replica(KLEIN, context=["satire"], facts={"consent_withdrawn": True})
    decision = gdpr.decide(use)
    assert decision.decision == "allow", decision.reasons
