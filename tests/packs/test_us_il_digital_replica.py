"""us-il-digital-replica: the Digital Voice and Likeness Protection Act (P.A. 103-0830,
effective 2024-08-09) and the Right of Publicity Act, 765 ILCS 1075, as amended by P.A.
103-0836 (effective 2025-01-01).

Each test names the section it takes its words from. The permissive contract of
tests/packs/conftest.py licenses everything, so the Acts alone decide; data in
tests/packs/data/us-il/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import PolicySet

from .replica_support import assert_allowed, assert_denied, reasons

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

NONE = "isni:0000000092000016"
DESCRIPTION = "isni:0000000092000024"
COUNSEL = "isni:0000000092000032"
UNION = "isni:0000000092000040"
BARE = "isni:0000000092000059"
DESCRIPTION_ORAL = "isni:0000000092000067"
COUNSEL_ORAL = "isni:0000000092000075"
UNION_ORAL = "isni:0000000092000083"
MINOR = "isni:0000000092000091"
DIED_1999 = "isni:0000000092000104"
DIED_1998 = "isni:0000000092000112"
ESTATE_WRITTEN = "isni:0000000092000120"
ESTATE_ORAL = "isni:0000000092000139"
BARE_2024 = "isni:0000000092000147"  # bare written grant signed 2024-01-01
ADVERTISED = "isni:0000000092000155"  # living, no grant

PACK = "us-il-digital-replica"
DVLPA = f"{PACK} P.A. 103-0830 (DVLPA)"
S30A = f"{PACK} 1075/30(a)"
S30B = f"{PACK} 1075/30(b)"
S30C = f"{PACK} 1075/30(c)"
S30C_REPLICA = f"{PACK} 1075/30(c), digital replica"
S30D = f"{PACK} 1075/30(d)"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs([PACK], data="us-il")


def replica(artist: str = NONE, **fields: Any) -> dict[str, Any]:
    """A voice replica made public in Illinois."""
    use: dict[str, Any] = {
        "id": "il",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-IL",
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


# ------------------------------------------------------------------ 765 ILCS 1075/30(b)


def test_30b_unauthorized_replica_made_public_is_denied(law: PolicySet) -> None:
    """1075/30(b): no person may "knowingly distribute, transmit, or make available to the
    general public a sound recording or audiovisual work with actual knowledge that it
    contains an unauthorized digital replica". The DVLPA voids terms of agreements; with
    no agreement relied on it does not apply (and says so)."""
    decision = law.decide(replica())
    assert "none is recorded" in assert_denied(decision, S30B)
    assert not reasons(decision, "consent-missing", DVLPA)
    assert any("relies on no grant" in m for m in reasons(decision, "exception", DVLPA))
    assert any("USD 1,000" in m and "unverified" in m for m in reasons(decision, "risk", S30B))
    assert not reasons(decision, "risk", S30C)  # no deceased artist in the use


@pytest.mark.parametrize(
    ("artist", "grant"),
    [(DESCRIPTION, "g-description"), (COUNSEL, "g-counsel"), (UNION, "g-union")],
)
def test_dvlpa_each_safeguard_alone_makes_the_provision_enforceable(
    law: PolicySet, artist: str, grant: str
) -> None:
    """DVLPA: unenforceable only if it lacks a reasonably specific description AND the
    individual had neither counsel (terms in writing) nor a CBA addressing replicas; each
    written grant also is the written consent of 1075/30."""
    decision = law.decide(replica(artist))
    assert_allowed(decision)
    assert any(grant in m for m in reasons(decision, "consent-met", DVLPA))
    assert any(grant in m for m in reasons(decision, "consent-met", S30B))


@pytest.mark.parametrize(
    ("artist", "rule", "lacking"),
    [
        (BARE, DVLPA, "lacks specific description or with counsel or collective bargaining"),
        (DESCRIPTION_ORAL, DVLPA, "lacks in writing"),
        (COUNSEL_ORAL, DVLPA, "lacks in writing"),
        (UNION_ORAL, S30B, "lacks in writing"),
    ],
)
def test_grant_missing_each_formality_in_turn(
    law: PolicySet, artist: str, rule: str, lacking: str
) -> None:
    """DVLPA (no description, no counsel, no CBA; a description or counsel not in writing)
    and 1075/30 ("previous written consent"): a CBA grant that is not written meets the
    DVLPA but not the Right of Publicity Act."""
    decision = law.decide(replica(artist))
    assert lacking in assert_denied(decision, rule)
    if artist == UNION_ORAL:
        assert not reasons(decision, "consent-missing", DVLPA)


def test_dvlpa_not_retroactive(law: PolicySet) -> None:
    """DVLPA, House Amendment 1: only agreements made on or after the effective date
    2024-08-09 (assumption A4), read from the grant's own signature date; a bare written
    consent signed before then suffices under 1075/30(b)."""
    old = law.decide(replica(BARE_2024))
    assert_allowed(old)
    assert any("g-bare-2024" in m for m in reasons(old, "consent-met", DVLPA))
    new = law.decide(replica(BARE))  # signed (valid from) 2024-09-01
    assert "relied on is void" in assert_denied(new, DVLPA)


def test_dvlpa_replica_not_in_place_of_in_person_work(law: PolicySet) -> None:
    """DVLPA: only a provision allowing a replica "in place of work the individual would
    otherwise have performed in person"; 1075/30(b) still needs written consent."""
    decision = law.decide(replica(BARE, facts={"replica_not_in_place_of_in_person_work": True}))
    assert_allowed(decision)
    no_grant = law.decide(replica(NONE, facts={"replica_not_in_place_of_in_person_work": True}))
    assert_denied(no_grant, S30B)
    assert not reasons(no_grant, "consent-missing", DVLPA)


def test_in_force_dates(law: PolicySet) -> None:
    """DVLPA effective 2024-08-09; 1075/30(b) as amended effective 2025-01-01; the Right
    of Publicity Act itself since 1999-01-01 (P.A. 90-747)."""
    before = law.decide(replica(BARE, date="2024-08-08"))
    assert before.decision == "allow"
    assert not reasons(before, "consent-missing")
    dvlpa = law.decide(replica(BARE, date="2024-12-31"))
    assert_denied(dvlpa, DVLPA)  # §30(b) not yet in force, the DVLPA voids the grant
    assert not reasons(dvlpa, "consent-missing", S30B)
    old_agreement = law.decide(replica(BARE_2024, date="2024-12-31"))
    assert_allowed(old_agreement)
    amended = law.decide(replica(DESCRIPTION_ORAL, date="2025-01-01"))
    assert "lacks in writing" in assert_denied(amended, S30B)
    assert PACK in law.decide(replica(date="1999-01-01")).policy.jurisdictions


def test_30e_only_transmitting_or_hosting_excuses_30d_alone(law: PolicySet) -> None:
    """1075/30(e): "Subsection (d) does not apply to a person that solely transmits,
    stores, or provides access to data or software": it excuses the facilitator of §30(d),
    not one who makes the replica available under §30(b)."""
    facilitator = {"facilitates_replica_distribution": True}
    hosting = {**facilitator, "only_transmits_or_hosts": True}
    decision = law.decide(replica(ADVERTISED, output={"digital_replica": True}, facts=hosting))
    assert not reasons(decision, "consent-missing", S30D)
    assert reasons(decision, "exception", S30D)
    public = law.decide(replica(ADVERTISED, facts={"only_transmits_or_hosts": True}))
    assert_denied(public, S30B)


def test_30d_materially_contributing_after_actual_knowledge(law: PolicySet) -> None:
    """1075/30(d): "Any person who materially contributes to, induces, or otherwise
    facilitates a violation of subsection (b) by another person after having obtained
    actual knowledge … may be found liable for the violation" (from 2025-01-01)."""
    private = {"digital_replica": True}  # the user does not itself make it public
    facilitator = {"facilitates_replica_distribution": True}
    decision = law.decide(replica(ADVERTISED, output=private, facts=facilitator))
    assert_denied(decision, S30D)
    assert not reasons(decision, "consent-missing", S30B)
    assert any("§30(b)" in m for m in reasons(decision, "risk", S30D))
    before = law.decide(replica(ADVERTISED, output=private, facts=facilitator, date="2024-12-31"))
    assert not reasons(before, "consent-missing", S30D)
    assert_allowed(law.decide(replica(DESCRIPTION, output=private, facts=facilitator)))


@pytest.mark.parametrize("context", ["news", "public_affairs", "sports"])
def test_35_news_public_affairs_sports(law: PolicySet, context: str) -> None:
    """1075/35(b)(2) (assumption A8): news, public affairs or sports broadcast or account."""
    decision = law.decide(replica(BARE, context=[context]))
    assert not reasons(decision, "consent-missing", S30B)
    assert reasons(decision, "exception", S30B)


def test_parody_is_not_a_statutory_exemption(law: PolicySet) -> None:
    """765 ILCS 1075/35 (assumption A8): parody and commentary are not listed."""
    assert_denied(law.decide(replica(context=["parody"])), S30B)


def test_minor_guardian_written_grant(law: PolicySet) -> None:
    """1075/30(a): written consent; for a minor, the parent or guardian's (built in)."""
    decision = law.decide(replica(MINOR))
    assert_allowed(decision)
    assert any("g-minor" in m for m in reasons(decision, "consent-met", S30B))


def test_30a_advertising_needs_previous_written_consent(law: PolicySet) -> None:
    """1075/30(a): "A person may not use an individual's identity for commercial purposes
    during the individual's lifetime without having obtained previous written consent"."""
    private_ad = replica(NONE, context=["advertising"], output={"digital_replica": True})
    decision = law.decide(private_ad)
    assert_denied(decision, S30A)
    assert not reasons(decision, "consent-missing", S30B)  # not made public


# ------------------------------------------------------------------ 765 ILCS 1075/30(c)


def test_30c_fifty_years_after_death(law: PolicySet) -> None:
    """1075/30(c): written consent for 50 years after death; died 1999-06-01."""
    last_day = law.decide(replica(DIED_1999, date="2049-05-31"))
    assert_denied(last_day, S30C_REPLICA)
    assert any("USD 1,000" in m for m in reasons(last_day, "risk", S30C_REPLICA))
    assert_allowed(law.decide(replica(DIED_1999, date="2049-06-01")))


def test_30c_only_deaths_after_the_act(law: PolicySet) -> None:
    """1075/30(c): for deaths after the Act's effective date (1999-01-01, assumption A6)."""
    assert_allowed(law.decide(replica(DIED_1998)))


def test_30c_estate_written_consent(law: PolicySet) -> None:
    """1075/30(c), 1075/20: the written consent of the persons who hold the rights after
    death; an oral grant of the estate is not enough."""
    decision = law.decide(replica(ESTATE_WRITTEN))
    assert_allowed(decision)
    assert any("g-estate-written" in m for m in reasons(decision, "consent-met", S30C_REPLICA))
    assert "lacks in writing" in assert_denied(law.decide(replica(ESTATE_ORAL)), S30C_REPLICA)


def test_ai_label_cures_nothing(law: PolicySet) -> None:
    """1075/30(b): an unauthorized replica stays unauthorized when labelled as AI."""
    labelled = replica(
        NONE,
        output={
            "synthetic_audio": True,
            "digital_replica": True,
            "public": True,
            "labelled_ai": True,
        },
    )
    assert_denied(law.decide(labelled), S30B)
