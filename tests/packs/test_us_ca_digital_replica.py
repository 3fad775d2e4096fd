"""us-ca-digital-replica: Cal. Lab. Code §927 (AB 2602), Cal. Civ. Code §3344.1 as amended
by AB 1836 and Cal. Civ. Code §3344, in force from 2025-01-01.

Each test names the section it takes its words from. The permissive contract of
tests/packs/conftest.py licenses everything, so the statutes alone decide; data in
tests/packs/data/us-ca/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import PolicySet

from .replica_support import assert_allowed, assert_denied, reasons

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

NONE = "isni:0000000091000014"
DESCRIPTION = "isni:0000000091000022"
COUNSEL = "isni:0000000091000030"
UNION = "isni:0000000091000049"
BARE = "isni:0000000091000057"
DESCRIPTION_ORAL = "isni:0000000091000065"
COUNSEL_PLAIN_TERMS = "isni:0000000091000073"
COUNSEL_UNSIGNED = "isni:0000000091000081"
COUNSEL_ORAL = "isni:0000000091000137"
MINOR = "isni:000000009100009X"
DIED_1960 = "isni:0000000091000102"
DIED_2020 = "isni:0000000091000110"
DIED_2020_ESTATE = "isni:0000000091000129"
LIFETIME_GRANT = "isni:0000000091000145"

PACK = "us-ca-digital-replica"
S927 = f"{PACK} §927(a)"
S927_CONSISTENT = f"{PACK} §927(a)(2), uses consistent with the contract"
S3344_1 = f"{PACK} §3344.1 (digital replica)"
S3344_1_A1 = f"{PACK} §3344.1(a)(1)"
S3344 = f"{PACK} §3344(a)"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs([PACK], data="us-ca")


def replica(artist: str = NONE, **fields: Any) -> dict[str, Any]:
    """A voice replica made public in California."""
    use: dict[str, Any] = {
        "id": "ca",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-CA",
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


# ------------------------------------------------------------------ Lab. Code §927


def test_927_voids_a_provision_and_asks_nothing_of_a_use_without_one(law: PolicySet) -> None:
    """§927(a): "A provision in an agreement … is unenforceable" without the safeguards. It
    voids a term of an agreement; a use that relies on no agreement (no grant at all) is
    outside §927, which the reason says; the grant relied on without a safeguard is void."""
    decision = law.decide(replica())
    assert decision.decision == "allow", decision.reasons
    assert not reasons(decision, "consent-missing", S927)
    outside = reasons(decision, "exception", S927)
    assert outside and "relies on no grant" in outside[0] and "voids contract terms" in outside[0]
    void = law.decide(replica(BARE))
    message = assert_denied(void, S927)
    assert "relied on is void under this statute: grant g-bare lacks" in message
    assert "Cal. Lab. Code §927(a)" in (void.reasons[0].citation or "")
    assert any("no damages" in m for m in reasons(void, "risk", S927))
    # The deceased-personality rule did not apply to a living artist: no risk from it.
    assert not reasons(void, "risk", S3344_1)


@pytest.mark.parametrize(
    ("artist", "grant"),
    [
        (DESCRIPTION, "g-description"),  # §927(a)(2): a reasonably specific description
        (COUNSEL, "g-counsel"),  # §927(a)(3)(A): counsel, clear and conspicuous, signed
        (UNION, "g-union"),  # §927(a)(3)(B): a CBA that addresses digital replicas
    ],
)
def test_927_each_safeguard_alone_makes_the_provision_enforceable(
    law: PolicySet, artist: str, grant: str
) -> None:
    """§927(a): unenforceable only "if all of the following" hold, so any one of the
    description (a)(2), counsel (a)(3)(A) or a collective bargaining agreement (a)(3)(B)
    saves it."""
    decision = law.decide(replica(artist))
    assert_allowed(decision)
    assert any(grant in m for m in reasons(decision, "consent-met", S927))


@pytest.mark.parametrize(
    ("artist", "lacking"),
    [
        (
            BARE,
            "lacks specific description or terms conspicuous and with counsel or collective bargaining",
        ),
        (DESCRIPTION_ORAL, "lacks in writing"),
        (COUNSEL_PLAIN_TERMS, "terms conspicuous"),
        (COUNSEL_UNSIGNED, "signed"),
        (COUNSEL_ORAL, "in writing"),
    ],
)
def test_927_grant_missing_each_formality_in_turn(
    law: PolicySet, artist: str, lacking: str
) -> None:
    """§927(a)(2)-(3): no description, no counsel, no CBA (a bare written grant); a
    description not in writing; counsel whose commercial terms are not stated "clearly and
    conspicuously"; not "in a writing signed or initialed by the individual"."""
    message = assert_denied(law.decide(replica(artist)), S927)
    assert lacking in message


def test_927_a2_uses_consistent_with_the_contract_need_no_description(law: PolicySet) -> None:
    """§927(a)(2): omitting the description does not make the provision unenforceable if
    the uses are "consistent with the terms of the contract and the fundamental character
    of the photography or soundtrack as recorded or performed" (exception to the
    exception)."""
    consistent = replica(BARE, facts={"replica_uses_consistent_with_contract": True})
    decision = law.decide(consistent)
    assert_allowed(decision)
    assert any(S927 in m for m in reasons(decision, "set-aside"))
    assert any("g-bare" in m for m in reasons(decision, "consent-met", S927_CONSISTENT))
    # Still about a provision of an agreement: with no grant, nothing to void.
    no_grant = law.decide(replica(NONE, facts={"replica_uses_consistent_with_contract": True}))
    assert no_grant.decision == "allow", no_grant.reasons
    assert reasons(no_grant, "exception", S927_CONSISTENT)


def test_927_a1_replica_not_in_place_of_in_person_work_is_outside(law: PolicySet) -> None:
    """§927(a)(1): only a provision allowing a replica "in place of work the individual
    would otherwise have performed in person"."""
    decision = law.decide(replica(facts={"replica_not_in_place_of_in_person_work": True}))
    assert_allowed(decision)


def test_927_new_performance_fixed_on_or_after_2025_01_01(law: PolicySet) -> None:
    """§927(a): "only as it relates to a new performance, fixed on or after January 1,
    2025"; the day before, the pack does not apply."""
    before = law.decide(replica(BARE, date="2024-12-31"))
    assert before.decision == "allow"
    assert not reasons(before, "consent-missing", S927)
    on = law.decide(replica(BARE, date="2025-01-01"))
    assert_denied(on, S927)


def test_927_minor_guardian_grant_with_description(law: PolicySet) -> None:
    """§927 has no rule for minors: the guardian's written grant with a specific
    description counts, and the statute adds no court approval."""
    decision = law.decide(replica(MINOR))
    assert_allowed(decision)
    assert any("g-minor" in m for m in reasons(decision, "consent-met", S927))


def test_927_not_for_other_territories(law: PolicySet) -> None:
    """Where (assumption A1): the pack applies to uses in California only."""
    decision = law.decide(replica(territory="US-NV"))
    assert decision.decision == "allow"
    assert PACK not in decision.policy.jurisdictions


# ------------------------------------------------------------------ Civ. Code §3344.1


def test_3344_1_deceased_replica_without_successor_consent(law: PolicySet) -> None:
    """§3344.1 (AB 1836): "produces, distributes, or makes available the digital replica
    of a deceased personality's voice or likeness in an expressive audiovisual work or
    sound recording without" prior consent: the greater of $10,000 or actual damages."""
    decision = law.decide(replica(DIED_2020))
    message = assert_denied(decision, S3344_1)
    assert "none is recorded" in message
    assert any("USD 10,000" in m for m in reasons(decision, "risk", S3344_1))
    # §927 is read for the living only.
    assert not reasons(decision, "consent-missing", S927)


def test_3344_1_producing_is_enough(law: PolicySet) -> None:
    """§3344.1 (AB 1836): "produces, distributes, or makes available": a replica that is
    not made public is still produced (assumption A6)."""
    private = replica(DIED_2020, output={"synthetic_audio": True, "digital_replica": True})
    assert_denied(law.decide(private), S3344_1)


def test_3344_1_successor_consents(law: PolicySet) -> None:
    """§3344.1(c): the consent of the deceased personality's successors in interest."""
    decision = law.decide(replica(DIED_2020_ESTATE))
    assert_allowed(decision)
    assert any("g-estate-2020" in m for m in reasons(decision, "consent-met", S3344_1))


def test_3344_1_grant_given_in_life_still_counts(law: PolicySet) -> None:
    """§3344.1(b): the rights are transferable before death by contract; a grant the artist
    gave in life counts after death (§927 no longer applies to her)."""
    decision = law.decide(replica(LIFETIME_GRANT))
    assert_allowed(decision)
    assert any("g-lifetime" in m for m in reasons(decision, "consent-met", S3344_1))


def test_3344_1_seventy_years_after_death(law: PolicySet) -> None:
    """§3344.1(g): "within 70 years of the death"; died 1960-03-01."""
    assert_denied(law.decide(replica(DIED_1960, date="2030-02-28")), S3344_1)
    assert_allowed(law.decide(replica(DIED_1960, date="2030-03-01")))


@pytest.mark.parametrize(
    "context",
    [
        "news",
        "public_affairs",
        "sports",
        "commentary",
        "criticism",
        "scholarship",
        "satire",
        "parody",
        "incidental",
    ],
)
def test_3344_1_exemptions(law: PolicySet, context: str) -> None:
    """§3344.1 (AB 1836), "except as prescribed" (assumption A7): news, public affairs or
    sports; comment, criticism, scholarship, satire or parody; fleeting or incidental."""
    decision = law.decide(replica(DIED_2020, context=[context]))
    assert_allowed(decision)
    assert reasons(decision, "exception", S3344_1)


def test_3344_1_documentary_unless_false_impression_of_authenticity(law: PolicySet) -> None:
    """§3344.1 (AB 1836, assumption A7): a documentary, historical or biographical work is
    exempt, unless it creates the false impression that it is an authentic recording in
    which the individual participated (exception to the exception)."""
    honest = replica(
        DIED_2020, context=["documentary"], facts={"false_impression_authentic": False}
    )
    assert_allowed(law.decide(honest))
    deceptive = replica(
        DIED_2020, context=["documentary"], facts={"false_impression_authentic": True}
    )
    assert_denied(law.decide(deceptive), S3344_1)
    # Not stated: the exemption is not taken.
    assert_denied(law.decide(replica(DIED_2020, context=["biographical"])), S3344_1)


def test_3344_1_advertisement_for_an_exempt_work(law: PolicySet) -> None:
    """§3344.1 (AB 1836, assumption A7): an advertisement for an exempt work is exempt from
    the replica provision; a plain advertisement also falls under §3344.1(a)(1)."""
    ad = replica(DIED_2020, context=["advertising"])
    decision = law.decide(ad)
    assert_denied(decision, S3344_1)
    assert_denied(decision, S3344_1_A1)
    assert any("USD 750" in m for m in reasons(decision, "risk", S3344_1_A1))
    for_a_record = {
        **ad,
        "facts": {"advertised_work_excepted": True, "ad_for_expressive_work": True},
    }
    assert_allowed(law.decide(for_a_record))


def test_ai_label_cures_nothing(law: PolicySet) -> None:
    """No provision of §927 or §3344.1 treats a disclosure as consent."""
    labelled = replica(
        DIED_2020,
        output={
            "synthetic_audio": True,
            "digital_replica": True,
            "public": True,
            "labelled_ai": True,
        },
    )
    assert_denied(law.decide(labelled), S3344_1)
    assert_denied(law.decide({**labelled, "artists": [BARE]}), S927)


# ------------------------------------------------------------------ Civ. Code §3344


def test_3344_living_voice_in_advertising_needs_prior_consent(law: PolicySet) -> None:
    """§3344(a): knowingly using another's voice or likeness "for purposes of advertising
    or selling" without prior consent: the greater of $750 or actual damages."""
    decision = law.decide(replica(NONE, context=["advertising"]))
    assert_denied(decision, S3344)
    assert any("USD 750" in m for m in reasons(decision, "risk", S3344))
    # §3344(d): news, public affairs or sports; with no agreement relied on, §927 is silent.
    news = law.decide(replica(NONE, context=["advertising", "news"]))
    assert not reasons(news, "consent-missing", S3344)
    assert news.decision == "allow", news.reasons
    # A specific written grant meets both.
    assert_allowed(law.decide(replica(DESCRIPTION, context=["advertising"])))
