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

PACK = "us-il-digital-replica"
DVLPA = f"{PACK} P.A. 103-0830 (DVLPA)"
S30A = f"{PACK} 1075/30(a)"
S30B = f"{PACK} 1075/30(b)"
S30C = f"{PACK} 1075/30(c)"


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
    contains an unauthorized digital replica"; the DVLPA provision rule also fails."""
    decision = law.decide(replica())
    assert "none is recorded" in assert_denied(decision, S30B)
    assert_denied(decision, DVLPA)
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
    2024-08-09 (assumption A4); a bare written consent then suffices under 1075/30(b)."""
    old = law.decide(replica(BARE, facts={"replica_agreement_date": "2024-08-08"}))
    assert_allowed(old)
    new = law.decide(replica(BARE, facts={"replica_agreement_date": "2024-08-09"}))
    assert_denied(new, DVLPA)


def test_dvlpa_replica_not_in_place_of_in_person_work(law: PolicySet) -> None:
    """DVLPA: only a provision allowing a replica "in place of work the individual would
    otherwise have performed in person"; 1075/30(b) still needs written consent."""
    decision = law.decide(replica(BARE, facts={"replica_not_in_place_of_in_person_work": True}))
    assert_allowed(decision)
    no_grant = law.decide(replica(NONE, facts={"replica_not_in_place_of_in_person_work": True}))
    assert_denied(no_grant, S30B)
    assert not reasons(no_grant, "consent-missing", DVLPA)


def test_in_force_dates(law: PolicySet) -> None:
    """DVLPA effective 2024-08-09; 1075/30(b) as amended effective 2025-01-01."""
    before = law.decide(replica(DESCRIPTION_ORAL, date="2024-08-08"))
    assert before.decision == "allow"
    assert PACK not in before.policy.jurisdictions
    old_agreement = {"replica_agreement_date": "2024-01-01"}
    dvlpa_only = law.decide(replica(DESCRIPTION_ORAL, date="2024-12-31", facts=old_agreement))
    assert_allowed(dvlpa_only)  # the agreement predates the DVLPA; §30(b) not yet in force
    amended = law.decide(replica(DESCRIPTION_ORAL, date="2025-01-01", facts=old_agreement))
    assert "lacks in writing" in assert_denied(amended, S30B)
    assert_denied(law.decide(replica(date="2024-08-09")), DVLPA)


def test_30e_those_who_only_transmit_or_host(law: PolicySet) -> None:
    """1075/30(e): no liability for those who only transmit, store or provide access."""
    decision = law.decide(replica(BARE, facts={"only_transmits_or_hosts": True}))
    assert not reasons(decision, "consent-missing", S30B)
    assert reasons(decision, "exception", S30B)


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
    assert_denied(last_day, S30C)
    assert any("USD 1,000" in m for m in reasons(last_day, "risk", S30C))
    assert_allowed(law.decide(replica(DIED_1999, date="2049-06-01")))


def test_30c_only_deaths_after_the_act(law: PolicySet) -> None:
    """1075/30(c): for deaths after the Act's effective date (1999-01-01, assumption A6)."""
    assert_allowed(law.decide(replica(DIED_1998)))


def test_30c_estate_written_consent(law: PolicySet) -> None:
    """1075/30(c), 1075/20: the written consent of the persons who hold the rights after
    death; an oral grant of the estate is not enough."""
    decision = law.decide(replica(ESTATE_WRITTEN))
    assert_allowed(decision)
    assert any("g-estate-written" in m for m in reasons(decision, "consent-met", S30C))
    assert "lacks in writing" in assert_denied(law.decide(replica(ESTATE_ORAL)), S30C)


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
