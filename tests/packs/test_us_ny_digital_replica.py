"""us-ny-digital-replica: N.Y. Gen. Oblig. Law §5-302 (effective 2025-01-01), Civ. Rights
Law §50-f (effective 2021-05-29, as amended by S.8391) and Gen. Bus. Law §396-b (effective
2026-06-09).

Each test names the section it takes its words from. The permissive contract of
tests/packs/conftest.py licenses everything, so the statutes alone decide; data in
tests/packs/data/us-ny/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import PolicySet

from .replica_support import assert_allowed, assert_denied, reasons

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

NONE = "isni:0000000093000018"
DESCRIPTION = "isni:0000000093000026"
COUNSEL = "isni:0000000093000034"
UNION = "isni:0000000093000042"
BARE = "isni:0000000093000050"
COUNSEL_NOT_SEPARATE = "isni:0000000093000069"
COUNSEL_PLAIN_TERMS = "isni:0000000093000077"
NO_COUNSEL = "isni:0000000093000085"
DESCRIPTION_ORAL = "isni:0000000093000093"
MINOR = "isni:0000000093000106"
DIED_2022 = "isni:0000000093000114"
DIED_DAY_BEFORE = "isni:0000000093000122"
DIED_ON_THE_DAY = "isni:0000000093000130"
DIED_IN_CALIFORNIA = "isni:0000000093000149"
ESTATE_GRANT = "isni:0000000093000157"

PACK = "us-ny-digital-replica"
S5302 = f"{PACK} GOL §5-302"
S5302_CONSISTENT = f"{PACK} GOL §5-302(1)(b), uses consistent with the contract"
S50F_B = f"{PACK} CRL §50-f(2)(b)"
S50F_A = f"{PACK} CRL §50-f(2)(a)"
S396B = f"{PACK} GBL §396-b"
DISCLOSE = "Disclose conspicuously in the advertisement that it includes a synthetic performer"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs([PACK], data="us-ny")


def replica(artist: str = NONE, **fields: Any) -> dict[str, Any]:
    """A voice replica made public in New York."""
    use: dict[str, Any] = {
        "id": "ny",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-NY",
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


# ------------------------------------------------------------------ GOL §5-302


def test_5302_voids_a_provision_and_asks_nothing_of_a_use_without_one(law: PolicySet) -> None:
    """§5-302(1): "A provision in an agreement … shall be deemed void and unenforceable"
    without the safeguards. It voids the term relied on; a use that relies on no
    agreement (a parody, a news report, or none at all) is outside it."""
    decision = law.decide(replica())
    assert decision.decision == "allow", decision.reasons
    assert any("relies on no grant" in m for m in reasons(decision, "exception", S5302))
    parody = law.decide(replica(context=["parody"]))
    assert not reasons(parody, "consent-missing", S5302)
    void = law.decide(replica(BARE))
    assert "relied on is void" in assert_denied(void, S5302)
    assert any("void and unenforceable" in m for m in reasons(void, "risk", S5302))
    assert not reasons(void, "risk", S50F_B)


@pytest.mark.parametrize(
    ("artist", "grant"),
    [(DESCRIPTION, "g-description"), (COUNSEL, "g-counsel"), (UNION, "g-union")],
)
def test_5302_each_safeguard_alone_makes_the_provision_enforceable(
    law: PolicySet, artist: str, grant: str
) -> None:
    """§5-302(1)(a)-(c) are cumulative: a reasonably specific description (b), or counsel
    with clear, conspicuous, separately signed terms (c)(i), or a CBA (c)(ii) saves it."""
    decision = law.decide(replica(artist))
    assert_allowed(decision)
    assert any(grant in m for m in reasons(decision, "consent-met", S5302))


@pytest.mark.parametrize(
    ("artist", "lacking"),
    [
        (BARE, "lacks specific description or"),
        (COUNSEL_NOT_SEPARATE, "separately signed"),
        (COUNSEL_PLAIN_TERMS, "terms conspicuous"),
        (NO_COUNSEL, "with counsel"),
        (DESCRIPTION_ORAL, "lacks in writing"),
    ],
)
def test_5302_grant_missing_each_formality_in_turn(
    law: PolicySet, artist: str, lacking: str
) -> None:
    """§5-302(1)(c)(i): counsel "and" terms "stated clearly and conspicuously" in a
    "separately signed or initialed" contract or separate signed writing — each missing in
    turn; no description, counsel or CBA; a description not in writing."""
    assert lacking in assert_denied(law.decide(replica(artist)), S5302)


def test_5302_counsel_without_a_separate_signature_differs_from_california(
    load_packs: Loader,
) -> None:
    """§5-302(1)(c)(i) asks a separately signed writing where Cal. Lab. Code §927(a)(3)(A)
    asks a signed one: the same grant passes in California and fails in New York."""
    both = load_packs(["us-ca-digital-replica", PACK], data="us-ny")
    assert_allowed(both.decide(replica(COUNSEL_NOT_SEPARATE, territory="US-CA")))
    assert_denied(both.decide(replica(COUNSEL_NOT_SEPARATE)), S5302)


def test_5302_1b_uses_consistent_with_the_contract(law: PolicySet) -> None:
    """§5-302(1)(b): no description needed for uses consistent with the terms of the
    contract and the fundamental character of the recorded performance."""
    decision = law.decide(replica(BARE, facts={"replica_uses_consistent_with_contract": True}))
    assert_allowed(decision)
    assert any("g-bare" in m for m in reasons(decision, "consent-met", S5302_CONSISTENT))


def test_5302_1a_replica_not_in_place_of_in_person_work(law: PolicySet) -> None:
    """§5-302(1)(a): only a replica "in place of work the individual would otherwise have
    performed in person"."""
    assert_allowed(law.decide(replica(facts={"replica_not_in_place_of_in_person_work": True})))


def test_5302_effective_2025_01_01(law: PolicySet) -> None:
    """§5-302: effective 2025-01-01."""
    before = law.decide(replica(BARE, date="2024-12-31"))
    assert before.decision == "allow"
    assert not reasons(before, "consent-missing")
    assert_denied(law.decide(replica(BARE, date="2025-01-01")), S5302)


def test_5302_minor_guardian_grant(law: PolicySet) -> None:
    """§5-302 has no rule for minors: the guardian's written, specific grant counts."""
    decision = law.decide(replica(MINOR))
    assert_allowed(decision)
    assert any("g-minor" in m for m in reasons(decision, "consent-met", S5302))


# ------------------------------------------------------------------ CRL §50-f


def test_50f_deceased_performer_replica_without_consent(law: PolicySet) -> None:
    """§50-f(2)(b): a deceased performer's digital replica used without the consent of the
    right holder; §50-f(1)(a): domiciled in New York at death."""
    decision = law.decide(replica(DIED_2022))
    assert "none is recorded" in assert_denied(decision, S50F_B)
    assert any("USD 2,000" in m for m in reasons(decision, "risk", S50F_B))
    assert not reasons(decision, "consent-missing", S5302)


def test_50f_forty_years_after_death(law: PolicySet) -> None:
    """§50-f: for "forty years after the death"; died 2022-01-01: protected on 2061-12-31,
    free on 2062-01-01. (The permissive test contract has ended by then, so the decision is
    a deny for want of a licence; the law's own requirement is what is checked.)"""
    last_day = law.decide(replica(DIED_2022, date="2061-12-31"))
    assert reasons(last_day, "consent-missing", S50F_B)
    free = law.decide(replica(DIED_2022, date="2062-01-01"))
    assert not reasons(free, "consent-missing")
    assert not any(r.rule == S50F_B for r in free.reasons)


def test_50f_only_deaths_on_or_after_2021_05_29(law: PolicySet) -> None:
    """§50-f (L. 2020, ch. 304): effective 2021-05-29, for those who die on or after it."""
    assert_allowed(law.decide(replica(DIED_DAY_BEFORE)))
    assert_denied(law.decide(replica(DIED_ON_THE_DAY)), S50F_B)


def test_50f_only_new_york_domiciliaries(law: PolicySet) -> None:
    """§50-f(1)(a)-(b): "domiciled in this state at the time of death"."""
    assert_allowed(law.decide(replica(DIED_IN_CALIFORNIA)))


def test_50f_estate_consents(law: PolicySet) -> None:
    """§50-f: the rights pass to the successors, who consent after death."""
    decision = law.decide(replica(ESTATE_GRANT))
    assert_allowed(decision)
    assert any("g-estate-2023" in m for m in reasons(decision, "consent-met", S50F_B))


@pytest.mark.parametrize(
    "context",
    [
        "parody",
        "satire",
        "commentary",
        "criticism",
        "news",
        "public_affairs",
        "sports",
        "incidental",
    ],
)
def test_50f_exemptions(law: PolicySet, context: str) -> None:
    """§50-f(2)(d) (assumption A7): parody, satire, commentary, criticism; political,
    public interest or newsworthy value; de minimis or incidental."""
    decision = law.decide(replica(DIED_2022, context=[context]))
    assert_allowed(decision)
    assert reasons(decision, "exception", S50F_B)


def test_50f_documentary_unless_false_impression(law: PolicySet) -> None:
    """§50-f(2)(d) (assumption A7): documentary, historical or biographical works, not where
    they create the false impression of an authentic recording (exception to the exception)."""
    honest = replica(DIED_2022, context=["historical"], facts={"false_impression_authentic": False})
    assert_allowed(law.decide(honest))
    deceptive = replica(
        DIED_2022, context=["historical"], facts={"false_impression_authentic": True}
    )
    assert_denied(law.decide(deceptive), S50F_B)


def test_50f_disclaimer_cures_nothing(law: PolicySet) -> None:
    """§50-f(2)(b) (assumption A6): an AI label or disclaimer is no consent."""
    labelled = replica(
        DIED_2022,
        output={
            "synthetic_audio": True,
            "digital_replica": True,
            "public": True,
            "labelled_ai": True,
        },
    )
    assert_denied(law.decide(labelled), S50F_B)


def test_50f_2a_advertising(law: PolicySet) -> None:
    """§50-f(2)(a): a deceased personality's voice for advertising without consent, even if
    the advertisement is not yet public; news is exempt."""
    ad = replica(DIED_2022, context=["advertising"], output={"digital_replica": True})
    assert_denied(law.decide(ad), S50F_A)
    news = law.decide({**ad, "context": ["advertising", "news"]})
    assert not reasons(news, "consent-missing", S50F_A)


# ------------------------------------------------------------------ GBL §396-b


def synthetic_ad(**facts: Any) -> dict[str, Any]:
    return replica(
        NONE,
        artists=[],
        context=["advertising"],
        output={"synthetic_audio": True, "public": True},
        facts={"synthetic_performer": True, **facts},
    )


def test_396b_synthetic_performer_disclosed_in_ads(law: PolicySet) -> None:
    """§396-b: whoever produces an advertisement must conspicuously disclose a synthetic
    performer they know of; effective 2026-06-09; met by an AI label (assumption A9)."""
    decision = law.decide(synthetic_ad())
    assert decision.decision == "allow"
    assert [o.text for o in decision.obligations] == [DISCLOSE]
    assert decision.obligations[0].rule == S396B
    before = law.decide({**synthetic_ad(), "date": "2026-06-08"})
    assert before.obligations == []
    labelled = synthetic_ad()
    labelled["output"]["labelled_ai"] = True
    done = law.decide(labelled)
    assert done.obligations == []
    assert reasons(done, "obligation-met", S396B)


@pytest.mark.parametrize(
    "fact", ["audio_only_ad", "ad_translation_only", "ad_synthetic_performer_as_in_work"]
)
def test_396b_exemptions(law: PolicySet, fact: str) -> None:
    """§396-b: not audio-only advertisements, translation or dubbing, or advertisements for
    expressive works consistent with the work's use of the synthetic performer."""
    assert law.decide(synthetic_ad(**{fact: True})).obligations == []


def test_396b_not_for_a_replica_of_a_real_person(law: PolicySet) -> None:
    """§396-b: a synthetic performer is "not recognizable as any identifiable natural
    person": a digital replica of a real singer is not one (§5-302 applies instead)."""
    decision = law.decide(
        replica(DESCRIPTION, context=["advertising"], facts={"synthetic_performer": True})
    )
    assert decision.obligations == []
