"""eu-dsm-tdm: Directive (EU) 2019/790, Articles 3 and 4 (text and data mining).

The pack concerns works and their rights holders, not persons: it has no consent, minors or
post-mortem terms to test. Each test names the provision it takes its words from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import clausula
from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

ROOT = Path(__file__).resolve().parents[2]
OPEN = "isrc:DEEXL2500001"
RESERVED_ELSEWHERE = "isrc:DEEXL2500002"
RESERVED_BY_LICENSOR = "isrc:DEEXL2500003"
OPEN_ELSEWHERE = "isrc:DEEXL2500004"

RESERVATION = "eu-dsm-tdm art. 4(3)"
ACCESS = "eu-dsm-tdm art. 4(1), lawful access"
RETENTION = "eu-dsm-tdm art. 4(2)"
RESEARCH = "eu-dsm-tdm art. 3"

RESEARCH_ORGANISATION = {
    "research_organisation": True,
    "commercial_preferential_access": False,
    "scientific_research": True,
    "lawful_access": True,
}


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["eu-dsm-tdm"], data="eu-dsm-tdm")


def training(**fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "t",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "DE",
        "works": [OPEN],
    }
    use.update(fields)
    return use


def reasons(decision: Decision, effect: str) -> list[tuple[str, str]]:
    return [(r.rule, r.message) for r in decision.reasons if r.effect == effect]


def rules(decision: Decision, effect: str) -> list[str]:
    return [rule for rule, _ in reasons(decision, effect)]


def duties(decision: Decision) -> list[str]:
    return [o.rule for o in decision.obligations]


def test_art_4_3_reserved_work_needs_the_rights_holders_licence(law: PolicySet) -> None:
    """Art. 4(3): the exception applies "on condition that the use of works ... has not been
    expressly reserved by their rightholders"."""
    denied = law.decide(training(works=[OPEN, RESERVED_ELSEWHERE]))
    assert denied.decision == "deny"
    [(rule, message)] = reasons(denied, "no-licence")
    assert rule == RESERVATION
    assert f"{RESERVED_ELSEWHERE} needs a licence from its rights holder party:other-label" in (
        message
    )
    assert denied.payments == []


def test_art_4_3_licence_from_the_rights_holder(law: PolicySet) -> None:
    """Art. 4(3): a reservation binds the exception, not a licence from the rightholder."""
    decision = law.decide(training(works=[RESERVED_BY_LICENSOR]))
    assert decision.decision == "allow"
    [(rule, message)] = reasons(decision, "licence-met")
    assert rule == RESERVATION and "licensed by its rights holder party:label" in message


def test_art_4_1_unreserved_works_may_be_mined(law: PolicySet) -> None:
    """Art. 4(1): an exception "for reproductions and extractions of lawfully accessible works
    ... for the purposes of text and data mining"; Art. 4(2): copies kept "for as long as is
    necessary"."""
    decision = law.decide(training())
    assert decision.decision == "allow"
    assert rules(decision, "no-licence") == []
    assert duties(decision) == [RETENTION]
    assert "only for as long as is necessary" in decision.obligations[0].text


@pytest.mark.parametrize("purpose", ["training", "fine_tuning"])
def test_art_4_3_training_and_fine_tuning_are_mining(law: PolicySet, purpose: str) -> None:
    """Art. 2(2), 4(1): training and fine-tuning are text and data mining [A2]."""
    decision = law.decide(training(purpose=purpose, works=[RESERVED_ELSEWHERE]))
    assert decision.decision == "deny"
    assert rules(decision, "no-licence") == [RESERVATION]


def test_generation_is_not_mining(law: PolicySet) -> None:
    """Art. 4 covers mining, not generation from a work [A2]."""
    generation = training(purpose="generation", works=[RESERVED_ELSEWHERE])
    decision = law.decide(generation)
    assert decision.decision == "allow"
    assert duties(decision) == []


def test_dates_and_territory(law: PolicySet) -> None:
    """Art. 29: transposition by 7 June 2021 [A1]; the Directive applies in the EU."""
    before = law.decide(training(date="2021-06-06", works=[RESERVED_ELSEWHERE]))
    assert before.decision == "allow"
    assert before.policy.jurisdictions == []
    on = law.decide(training(date="2021-06-07", works=[RESERVED_ELSEWHERE]))
    assert on.decision == "deny"
    assert on.policy.jurisdictions == ["eu-dsm-tdm"]
    outside = law.decide(training(territory="US", works=[RESERVED_ELSEWHERE]))
    assert outside.decision == "allow"
    assert outside.policy.jurisdictions == []
    # Norway is in the EEA, not in the EU.
    assert law.decide(training(territory="NO", works=[RESERVED_ELSEWHERE])).decision == "allow"


def test_art_3_research_organisations_are_not_bound_by_the_reservation(law: PolicySet) -> None:
    """Art. 3(1): an exception "for reproductions and extractions made by research
    organisations and cultural heritage institutions in order to carry out, for the purposes
    of scientific research, text and data mining of works ... to which they have lawful
    access"; Art. 3(2): copies "stored with an appropriate level of security"."""
    decision = law.decide(training(works=[RESERVED_ELSEWHERE], facts=RESEARCH_ORGANISATION))
    assert decision.decision == "allow"
    assert set(rules(decision, "exception")) == {RESERVATION, RETENTION}
    assert rules(decision, "no-licence") == []
    assert duties(decision) == [RESEARCH]
    assert "appropriate level of security" in decision.obligations[0].text


def test_art_3_cultural_heritage_institutions(law: PolicySet) -> None:
    """Art. 3(1): "and cultural heritage institutions"."""
    facts = {"cultural_heritage_institution": True, "scientific_research": True}
    decision = law.decide(
        training(works=[RESERVED_ELSEWHERE], facts={**facts, "lawful_access": True})
    )
    assert decision.decision == "allow"
    assert duties(decision) == [RESEARCH]


@pytest.mark.parametrize(
    ("missing", "facts"),
    [
        ("not for scientific research", {**RESEARCH_ORGANISATION, "scientific_research": False}),
        (
            "scientific research not stated",
            {k: v for k, v in RESEARCH_ORGANISATION.items() if k != "scientific_research"},
        ),
        (
            "no lawful access stated",
            {k: v for k, v in RESEARCH_ORGANISATION.items() if k != "lawful_access"},
        ),
        ("not a research organisation", {**RESEARCH_ORGANISATION, "research_organisation": False}),
        # Art. 2(1), last subparagraph: the exception to the exception [A6].
        (
            "commercial undertaking with preferential access",
            {**RESEARCH_ORGANISATION, "commercial_preferential_access": True},
        ),
        (
            "preferential access not stated",
            {
                k: v
                for k, v in RESEARCH_ORGANISATION.items()
                if k != "commercial_preferential_access"
            },
        ),
    ],
)
def test_art_3_needs_each_of_its_conditions(
    law: PolicySet, missing: str, facts: dict[str, object]
) -> None:
    """Art. 3(1) with Art. 2(1): each condition of the research exception, missing in turn,
    leaves the Art. 4(3) reservation binding."""
    decision = law.decide(training(works=[RESERVED_ELSEWHERE], facts=facts))
    assert decision.decision == "deny", missing
    assert rules(decision, "no-licence") == [RESERVATION]


def test_art_4_1_without_lawful_access_every_work_needs_a_licence(law: PolicySet) -> None:
    """Art. 3(1) and 4(1): both exceptions cover only works to which the user has "lawful
    access" [A5]."""
    with_access = law.decide(training(works=[OPEN_ELSEWHERE]))
    assert with_access.decision == "allow"
    denied = law.decide(training(works=[OPEN_ELSEWHERE], facts={"lawful_access": False}))
    assert denied.decision == "deny"
    [(rule, message)] = reasons(denied, "no-licence")
    assert rule == ACCESS
    assert f"{OPEN_ELSEWHERE} needs a licence from its rights holder party:other-label" in message
    licensed = law.decide(training(works=[RESERVED_BY_LICENSOR], facts={"lawful_access": False}))
    assert licensed.decision == "allow"
    assert set(rules(licensed, "licence-met")) == {ACCESS, RESERVATION}
    research = {**RESEARCH_ORGANISATION, "lawful_access": False}
    assert law.decide(training(works=[RESERVED_ELSEWHERE], facts=research)).decision == "deny"


def test_shipped_data_an_artists_consent_does_not_lift_the_labels_reservation() -> None:
    """Art. 4(3) on the shipped example: Calla Moreno consented to training by anyone, but
    her label reserved text and data mining of Salt and Cedar [A4]. (No shipped contract of
    party:aria-labs covers the work, so the engine reports the missing contract rather than
    the rule's licence requirement.)"""
    shipped = clausula.load(ROOT / "policies")
    use = {
        "date": "2026-09-01",
        "licensee": "party:aria-labs",
        "purpose": "training",
        "territory": "DE",
        "works": ["isrc:QZIND2400007"],
    }
    decision = shipped.decide(use)
    assert decision.decision == "deny"
    assert "eu-dsm-tdm" in decision.policy.jurisdictions
    assert "no-licence" in [r.effect for r in decision.reasons]
