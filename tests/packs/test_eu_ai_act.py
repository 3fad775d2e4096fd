"""eu-ai-act: Regulation (EU) 2024/1689, Articles 50(2), 50(4), 53(1)(c)-(d), with the dates
of Articles 111(3) and 113 and the Digital Omnibus grace for Art. 50(2) (an assumption).

The pack concerns AI systems and models, not persons: it has no consent, minors or
post-mortem terms to test. Each test names the provision it takes its words from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

OPEN = "isrc:DEEXL2500001"
RESERVED_ELSEWHERE = "isrc:DEEXL2500002"
RESERVED_BY_LICENSOR = "isrc:DEEXL2500003"
ARTIST = "isni:000000041111111X"

MARKING = "eu-ai-act art. 50(2)"
DEEP_FAKE = "eu-ai-act art. 50(4)"
ARTISTIC = "eu-ai-act art. 50(4), artistic works"
POLICY = "eu-ai-act art. 53(1)(c)"
SUMMARY = "eu-ai-act art. 53(1)(d)"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["eu-ai-act"], data="eu-ai-act")


def generation(**fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "g",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "generation",
        "territory": "DE",
        "output": {"synthetic_audio": True, "public": True},
    }
    use.update(fields)
    return use


def deep_fake(**fields: Any) -> dict[str, Any]:
    use = generation(artists=[ARTIST], purpose="voice_replica")
    use["output"] = {"synthetic_audio": True, "digital_replica": True, "public": True}
    use.update(fields)
    return use


def training(**fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "t",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "DE",
        "works": [OPEN],
        "facts": {"gpai_model": True},
    }
    use.update(fields)
    return use


def duties(decision: Decision) -> list[str]:
    return [o.rule for o in decision.obligations]


def reasons(decision: Decision, effect: str) -> list[tuple[str, str]]:
    return [(r.rule, r.message) for r in decision.reasons if r.effect == effect]


def rules(decision: Decision, effect: str) -> list[str]:
    return [rule for rule, _ in reasons(decision, effect)]


# ------------------------------------------------------------------ Art. 50(2)


def test_art_50_2_applies_from_2026_08_02(law: PolicySet) -> None:
    """Art. 113: Art. 50 (Chapter IV) applies from 2 August 2026."""
    before = law.decide(generation(date="2026-08-01"))
    assert before.decision == "allow"
    assert duties(before) == []
    on = law.decide(generation(date="2026-08-02"))
    assert on.decision == "allow"
    assert duties(on) == [MARKING]
    [obligation] = on.obligations
    assert obligation.text.startswith("Mark the audio output in a machine-readable format")
    assert obligation.citation == "Regulation (EU) 2024/1689, Article 50(2)"


def test_art_50_2_only_in_the_eu(law: PolicySet) -> None:
    """Art. 50(2) for uses in the EU: a use in the US is not under the pack."""
    decision = law.decide(generation(territory="US-TN"))
    assert decision.policy.jurisdictions == []
    assert duties(decision) == []


def test_art_50_2_needs_synthetic_audio(law: PolicySet) -> None:
    """Art. 50(2): providers of AI systems "generating synthetic audio"."""
    decision = law.decide(generation(output={"public": True}))
    assert duties(decision) == []


@pytest.mark.parametrize(
    ("fact", "value"),
    [
        # "an assistive function for standard editing"
        ("standard_editing_only", True),
        # "do not substantially alter the input data provided by the deployer"
        ("no_substantial_alteration", True),
        # "where authorised by law to detect, prevent, investigate or prosecute criminal offences"
        ("law_enforcement_authorised", True),
        # Art. 50(2) binds providers, not deployers [A2]
        ("role", "deployer"),
    ],
)
def test_art_50_2_exceptions(law: PolicySet, fact: str, value: object) -> None:
    """Art. 50(2), second sentence: the exceptions to the marking duty."""
    decision = law.decide(generation(facts={fact: value}))
    assert decision.decision == "allow"
    assert duties(decision) == []
    assert rules(decision, "exception") == [MARKING]


def test_art_50_2_a_visible_label_is_not_machine_readable_marking(law: PolicySet) -> None:
    """Art. 50(2) asks for machine-readable marking: an AI label does not meet it [A5]."""
    output = {"synthetic_audio": True, "public": True, "labelled_ai": True}
    decision = law.decide(generation(output=output))
    assert duties(decision) == [MARKING]
    assert reasons(decision, "obligation-met") == []


def test_art_50_2_digital_omnibus_grace_for_systems_on_the_market(law: PolicySet) -> None:
    """Digital Omnibus [A1]: systems placed on the market before 2026-08-02 have until
    2026-12-02 for Art. 50(2)."""
    legacy = {"placed_on_market": "2026-03-01"}
    last_day = law.decide(generation(date="2026-12-01", facts=legacy))
    assert duties(last_day) == []
    assert any("legacy_system" in message for _, message in reasons(last_day, "exception"))
    due = law.decide(generation(date="2026-12-02", facts=legacy))
    assert duties(due) == [MARKING]
    # Placed on the market on 2026-08-02: not before it, no grace.
    new_system = law.decide(generation(date="2026-09-01", facts={"placed_on_market": "2026-08-02"}))
    assert duties(new_system) == [MARKING]
    # Without the fact, no grace.
    assert duties(law.decide(generation(date="2026-09-01"))) == [MARKING]


# ------------------------------------------------------------------ Art. 50(4)


def test_art_50_4_deep_fake_disclosure(law: PolicySet) -> None:
    """Art. 50(4): deployers of an AI system generating audio "constituting a deep fake, shall
    disclose that the content has been artificially generated or manipulated"."""
    decision = law.decide(deep_fake())
    assert decision.decision == "allow"
    assert duties(decision) == [MARKING, DEEP_FAKE]
    disclosure = decision.obligations[1]
    assert disclosure.text.startswith("Disclose that the audio has been artificially generated")
    assert disclosure.citation is not None and "Article 50(4)" in disclosure.citation
    before = law.decide(deep_fake(date="2026-08-01"))
    assert duties(before) == []


def test_art_50_4_is_met_by_the_ai_label(law: PolicySet) -> None:
    """Art. 50(4): the disclosure is made by labelling the output as AI-generated [A5]."""
    output = {"synthetic_audio": True, "digital_replica": True, "public": True, "labelled_ai": True}
    decision = law.decide(deep_fake(output=output))
    assert duties(decision) == [MARKING]
    assert rules(decision, "obligation-met") == [DEEP_FAKE]


def test_art_50_4_binds_deployers_and_50_2_providers(law: PolicySet) -> None:
    """Art. 50(2) binds "providers", Art. 50(4) "deployers" [A2]."""
    deployer = law.decide(deep_fake(facts={"role": "deployer"}))
    assert duties(deployer) == [DEEP_FAKE]
    provider = law.decide(deep_fake(facts={"role": "provider"}))
    assert duties(provider) == [MARKING]
    assert rules(provider, "exception") == [DEEP_FAKE]


def test_art_50_4_no_grace_under_the_omnibus(law: PolicySet) -> None:
    """The Omnibus grace [A1] covers Art. 50(2) only; Art. 50(4) applies from 2026-08-02."""
    decision = law.decide(deep_fake(facts={"placed_on_market": "2026-03-01"}))
    assert duties(decision) == [DEEP_FAKE]


def test_art_50_4_law_enforcement_exception(law: PolicySet) -> None:
    """Art. 50(4): "shall not apply where the use is authorised by law to detect, prevent,
    investigate or prosecute criminal offence"."""
    decision = law.decide(deep_fake(facts={"law_enforcement_authorised": True}))
    assert duties(decision) == []
    assert set(rules(decision, "exception")) == {MARKING, DEEP_FAKE}


@pytest.mark.parametrize("context", ["artistic", "fiction", "satire", "parody"])
def test_art_50_4_evidently_artistic_works_get_the_lighter_form(
    law: PolicySet, context: str
) -> None:
    """Art. 50(4): in "an evidently artistic, creative, satirical, fictional or analogous
    work", the duty is "limited to disclosure of the existence of such generated or
    manipulated content in an appropriate manner that does not hamper the display or
    enjoyment of the work" [A4]."""
    decision = law.decide(deep_fake(context=[context]))
    assert duties(decision) == [MARKING, ARTISTIC]
    assert "does not hamper the display or enjoyment" in decision.obligations[1].text
    assert rules(decision, "set-aside") == [DEEP_FAKE]
    labelled = {"synthetic_audio": True, "digital_replica": True, "labelled_ai": True}
    met = law.decide(deep_fake(context=[context], output=labelled))
    assert duties(met) == [MARKING]
    assert rules(met, "obligation-met") == [ARTISTIC]


def test_art_50_4_artistic_form_has_the_law_enforcement_exception_too(law: PolicySet) -> None:
    """Art. 50(4): the criminal-law exception applies to the lighter form as well."""
    decision = law.decide(deep_fake(context=["satire"], facts={"law_enforcement_authorised": True}))
    assert duties(decision) == []
    assert set(rules(decision, "exception")) == {MARKING, DEEP_FAKE, ARTISTIC}


def test_art_50_4_a_generic_ai_song_is_no_deep_fake(law: PolicySet) -> None:
    """Art. 3(60): a deep fake "resembles existing persons" [A3]; an invented voice does not,
    but the provider still marks it (Art. 50(2))."""
    decision = law.decide(generation())
    assert duties(decision) == [MARKING]


# ------------------------------------------------------------------ Art. 53(1)(c)-(d)


def test_art_53_gpai_training_duties(law: PolicySet) -> None:
    """Art. 53(1)(c): "put in place a policy to comply with Union law on copyright";
    Art. 53(1)(d): "make publicly available a sufficiently detailed summary about the content
    used for training"."""
    decision = law.decide(training())
    assert decision.decision == "allow"
    assert duties(decision) == [POLICY, SUMMARY]
    assert "Article 4(3) of Directive (EU) 2019/790" in decision.obligations[0].text
    assert "summary of the content used for training" in decision.obligations[1].text


def test_art_53_applies_from_2025_08_02(law: PolicySet) -> None:
    """Art. 113(b): Chapter V applies from 2 August 2025."""
    before = law.decide(training(date="2025-08-01"))
    assert before.policy.jurisdictions == []
    assert duties(before) == []
    on = law.decide(training(date="2025-08-02"))
    assert duties(on) == [POLICY, SUMMARY]


def test_art_53_only_for_gpai_models(law: PolicySet) -> None:
    """Art. 53 binds "providers of general-purpose AI models" [A6]."""
    assert duties(law.decide(training(facts={}))) == []
    assert duties(law.decide(training(facts={"gpai_model": False}))) == []
    fine_tuning = law.decide(training(purpose="fine_tuning"))
    assert duties(fine_tuning) == [POLICY, SUMMARY]


def test_art_53_1_c_reserved_work_without_the_holders_licence_is_denied(law: PolicySet) -> None:
    """Art. 53(1)(c): "identify and comply with ... a reservation of rights expressed pursuant
    to Article 4(3) of Directive (EU) 2019/790" [A7]; the fine is a risk (Art. 101(1))."""
    denied = law.decide(training(works=[OPEN, RESERVED_ELSEWHERE]))
    assert denied.decision == "deny"
    [(rule, message)] = reasons(denied, "no-licence")
    assert rule == POLICY
    assert f"{RESERVED_ELSEWHERE} needs a licence from its rights holder party:other-label" in (
        message
    )
    [(risk_rule, risk)] = reasons(denied, "risk")
    assert risk_rule == POLICY and "Art. 101(1)" in risk and "EUR 15,000,000" in risk
    assert denied.payments == []
    licensed = law.decide(training(works=[RESERVED_BY_LICENSOR]))
    assert licensed.decision == "allow"
    assert rules(licensed, "licence-met") == [POLICY]
    assert reasons(licensed, "risk") == []
    # Not a GPAI provider: Art. 53 does not reach it (the DSM Directive does: eu-dsm-tdm).
    assert law.decide(training(works=[RESERVED_ELSEWHERE], facts={})).decision == "allow"


def test_art_111_3_models_on_the_market_before_2025_08_02(law: PolicySet) -> None:
    """Art. 111(3): GPAI models placed on the market before 2 August 2025 comply by
    2 August 2027."""
    legacy = {"gpai_model": True, "gpai_model_placed_on_market": "2025-07-01"}
    last_day = law.decide(training(date="2027-08-01", works=[RESERVED_ELSEWHERE], facts=legacy))
    assert last_day.decision == "allow"
    assert duties(last_day) == []
    assert set(rules(last_day, "exception")) == {POLICY, SUMMARY}
    due = law.decide(training(date="2027-08-02", works=[RESERVED_ELSEWHERE], facts=legacy))
    assert due.decision == "deny"
    assert rules(due, "no-licence") == [POLICY]
    new_model = {"gpai_model": True, "gpai_model_placed_on_market": "2025-08-02"}
    assert duties(law.decide(training(date="2026-01-01", facts=new_model))) == [POLICY, SUMMARY]


def test_art_53_binds_a_model_on_the_eu_market_wherever_trained(law: PolicySet) -> None:
    """Art. 2(1)(a): providers placing GPAI models on the Union market, irrespective of where
    they are established [A7]."""
    abroad = {"gpai_model": True, "gpai_eu_market": True}
    denied = law.decide(training(territory="US", works=[RESERVED_ELSEWHERE], facts=abroad))
    assert denied.decision == "deny"
    assert rules(denied, "no-licence") == [POLICY]
    # Not for the EU market, trained outside the EU: not under the pack.
    outside = law.decide(training(territory="US", works=[RESERVED_ELSEWHERE]))
    assert outside.policy.jurisdictions == []
    assert outside.decision == "allow"
    # Art. 50 still needs a use in the EU.
    us_generation = generation(territory="US", facts={"gpai_eu_market": True})
    assert duties(law.decide(us_generation)) == []
