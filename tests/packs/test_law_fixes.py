"""What the packs got wrong (issue 14, part 1), each test from the statute's own words:
who may consent for a minor; statutes that void contract terms; NO FAKES licences under a
collective bargaining agreement; the federal reach of NO FAKES; nationwide US releases
reaching each state; long-standing rights from their own dates. Each failed on the engine
and packs before the fix. Data in tests/packs/data/law-fixes/ and law-fixes-agents/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

from .replica_support import assert_allowed, assert_denied, reasons

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

TN_MINOR_SELF = "isni:0000000095000011"
CA_MINOR_SELF = "isni:000000009500002X"
TN_MINOR_GUARDIAN = "isni:0000000095000038"
CA_NONE = "isni:0000000095000046"
CA_BARE = "isni:0000000095000054"
UNION_2010 = "isni:0000000095000062"
IL_NONE = "isni:0000000095000070"
CA_DIED_2020 = "isni:0000000095000089"
NY_DIED_2022 = "isni:0000000095000097"
IL_DIED_2005 = "isni:000000009500010X"
BY_UNION = "isni:0000000095000118"
BY_AGENCY = "isni:0000000095000126"

TN, CA, IL, NY, NOFAKES = (
    "us-tn-elvis",
    "us-ca-digital-replica",
    "us-il-digital-replica",
    "us-ny-digital-replica",
    "us-nofakes-2026",
)


def replica(artist: str, territory: str, **fields: Any) -> dict[str, Any]:
    """A voice replica made public."""
    use: dict[str, Any] = {
        "id": "fix",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": territory,
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def denied_by(decision: Decision) -> set[str]:
    return {r.rule for r in decision.reasons if r.effect in ("deny", "consent-missing")}


# ------------------------------------------------------------------ minors


def test_tn_1105a_a_minor_s_own_grant_is_not_the_consent_of_her_parent(load_packs: Loader) -> None:
    """Tenn. Code Ann. §47-25-1105(a): "without such individual's prior consent, or, in the
    case of a minor, the prior consent of such minor's parent or legal guardian". A grant
    the minor signed herself does not count; her guardian's does."""
    law = load_packs([TN], data="law-fixes")
    decision = law.decide(replica(TN_MINOR_SELF, "US-TN"))
    message = assert_denied(decision, f"{TN} §47-25-1105(a)(2)")
    assert "signed by isni:0000000095000011 as a minor" in message
    assert "must be given by a parent or guardian" in message
    assert_allowed(law.decide(replica(TN_MINOR_GUARDIAN, "US-TN")))


def test_ca_3344a_a_minor_s_own_grant_is_not_the_consent_of_her_parent(load_packs: Loader) -> None:
    """Cal. Civ. Code §3344(a): "without such person's prior consent, or, in the case of a
    minor, the prior consent of his parent or legal guardian"."""
    law = load_packs([CA], data="law-fixes")
    decision = law.decide(replica(CA_MINOR_SELF, "US-CA", context=["advertising"]))
    assert "as a minor" in assert_denied(decision, f"{CA} §3344(a)")
    # §927 voids only a provision that lacks its safeguards: this one has a description.
    assert not reasons(decision, "consent-missing", f"{CA} §927(a)")


# ------------------------------------------------------------------ statutes that void terms


@pytest.mark.parametrize(
    ("pack", "territory", "rule"),
    [
        (CA, "US-CA", "§927(a)"),
        (NY, "US-NY", "GOL §5-302"),
        (IL, "US-IL", "P.A. 103-0830 (DVLPA)"),
    ],
)
@pytest.mark.parametrize("context", ["parody", "news"])
def test_void_term_statutes_do_not_deny_a_use_made_without_any_agreement(
    load_packs: Loader, pack: str, territory: str, rule: str, context: str
) -> None:
    """Cal. Lab. Code §927(a) ("A provision in an agreement … is unenforceable"), N.Y. Gen.
    Oblig. Law §5-302(1) ("shall be deemed void and unenforceable") and the Illinois
    Digital Voice and Likeness Protection Act make a term of an agreement void; a parody or
    a news report made without any agreement is not denied under them, and the reason
    says why."""
    law = load_packs([pack], data="law-fixes")
    decision = law.decide(replica(CA_NONE, territory, context=[context]))
    assert not reasons(decision, "consent-missing", f"{pack} {rule}"), decision.reasons
    outside = reasons(decision, "exception", f"{pack} {rule}")
    assert outside and "relies on no grant" in outside[0], decision.reasons


def test_927_the_grant_relied_on_is_void_and_the_reason_says_so(load_packs: Loader) -> None:
    """Cal. Lab. Code §927(a): the provision relied on, in writing and signed but with no
    reasonably specific description, no counsel and no union, "is unenforceable"."""
    law = load_packs([CA], data="law-fixes")
    message = assert_denied(law.decide(replica(CA_BARE, "US-CA")), f"{CA} §927(a)")
    assert "relied on is void under this statute: grant g-ca-bare lacks" in message


# ------------------------------------------------------------------ NO FAKES


def test_nofakes_2b2biii_a_cba_licence_is_not_capped(load_packs: Loader) -> None:
    """NO FAKES §2(b)(2)(B)(iii): "Clauses (i) and (ii) shall not apply" to a licence
    governed by a collective bargaining agreement that addresses digital replicas; the
    10-year cap of (i) does not end a CBA licence of 2010."""
    law = load_packs([NOFAKES], data="law-fixes", assume=[NOFAKES])
    decision = law.decide(replica(UNION_2010, "US-CA"))
    assert_allowed(decision)
    assert any("g-union-2010" in m for m in reasons(decision, "consent-met"))


@pytest.mark.parametrize(
    ("artist", "grant"), [(BY_UNION, "g-by-union"), (BY_AGENCY, "g-by-agency")]
)
def test_nofakes_2a6_right_holders_who_may_authorise(
    load_packs: Loader, artist: str, grant: str
) -> None:
    """NO FAKES §2(a)(6): a "right holder" is the individual or anyone who "has acquired,
    through a license, inheritance, or otherwise, the right to authorize the use"; a
    licence may be signed by "an authorized representative" (§2(b)(2)(B)(i)(II)(aa)),
    here the union under a collective bargaining agreement."""
    law = load_packs([NOFAKES], data="law-fixes-agents", assume=[NOFAKES])
    decision = law.decide(replica(artist, "US-CA"))
    assert_allowed(decision)
    assert any(grant in m for m in reasons(decision, "consent-met"))


@pytest.mark.parametrize("territory", ["PR", "GU", "VI", "AS", "MP", "UM", "US-PR", "US-GU"])
def test_nofakes_reaches_every_us_territory(load_packs: Loader, territory: str) -> None:
    """A federal statute applies throughout the United States: a use in Puerto Rico, Guam,
    the US Virgin Islands, American Samoa or the Northern Mariana Islands is inside `US`
    whether written with its ISO 3166-1 code (PR) or its ISO 3166-2 code (US-PR)."""
    law = load_packs([NOFAKES], data="law-fixes", assume=[NOFAKES])
    decision = law.decide(replica(CA_NONE, territory))
    assert NOFAKES in decision.policy.jurisdictions
    assert_denied(decision, f"{NOFAKES} §2(c)(2)(A)")


# ------------------------------------------------------------------ nationwide US releases


@pytest.mark.parametrize(
    ("pack", "artist", "rule"),
    [
        (TN, CA_NONE, "§47-25-1105(a)(2)"),
        (CA, CA_DIED_2020, "§3344.1 (digital replica)"),
        (IL, IL_NONE, "1075/30(b)"),
        (NY, NY_DIED_2022, "CRL §50-f(2)(b)"),
    ],
)
def test_a_nationwide_us_release_reaches_every_state(
    load_packs: Loader, pack: str, artist: str, rule: str
) -> None:
    """A use whose territory is `US` is a release in Tennessee, California, Illinois and New
    York: each state's law applies to it as to a use in the state (docs/packs/us-reach.md)."""
    law = load_packs([pack], data="law-fixes")
    decision = law.decide(replica(artist, "US"))
    assert pack in decision.policy.jurisdictions
    assert_denied(decision, f"{pack} {rule}")


def test_a_release_in_another_state_does_not_reach_tennessee(load_packs: Loader) -> None:
    """Tenn. Code Ann. §47-25-1105 (assumption A1): a use only in Nevada of a Californian's
    voice is not a use in Tennessee."""
    law = load_packs([TN], data="law-fixes")
    assert TN not in law.decide(replica(CA_NONE, "US-NV")).policy.jurisdictions


# ------------------------------------------------------------------ long-standing rights


def test_ca_3344_applied_before_the_2025_amendments(load_packs: Loader) -> None:
    """Cal. Civ. Code §3344(a), enacted 1971, voice included: a living person's voice in
    advertising without prior consent, in 2020, before AB 1836 and AB 2602."""
    law = load_packs([CA], data="law-fixes")
    decision = law.decide(replica(CA_NONE, "US-CA", date="2020-06-01", context=["advertising"]))
    assert_denied(decision, f"{CA} §3344(a)")
    assert not reasons(decision, "consent-missing", f"{CA} §927(a)")  # not before 2025


def test_il_right_of_publicity_applied_from_1999(load_packs: Loader) -> None:
    """765 ILCS 1075/30(a) and (c) (P.A. 90-747, eff. 1-1-99): identity, voice included,
    for commercial purposes needs previous written consent, in life and for 50 years after
    a death after the Act, long before the 2025 digital-replica amendments."""
    law = load_packs([IL], data="law-fixes")
    living = law.decide(replica(IL_NONE, "US-IL", date="2020-06-01", context=["advertising"]))
    assert_denied(living, f"{IL} 1075/30(a)")
    assert not reasons(living, "consent-missing", f"{IL} 1075/30(b)")  # from 2025 only
    dead = law.decide(replica(IL_DIED_2005, "US-IL", date="2010-06-01", context=["advertising"]))
    assert_denied(dead, f"{IL} 1075/30(c)")


def test_ny_50f_applied_from_2021(load_packs: Loader) -> None:
    """N.Y. Civ. Rights Law §50-f (L. 2020, ch. 304, effective 2021-05-29): a deceased
    performer's digital replica, in 2023, before §5-302 took effect."""
    law = load_packs([NY], data="law-fixes")
    decision = law.decide(replica(NY_DIED_2022, "US-NY", date="2023-06-01"))
    assert_denied(decision, f"{NY} CRL §50-f(2)(b)")


# ------------------------------------------------------------------ IL §35, §30(d); CA §3344.1(f)


def test_il_35b4_advertisement_for_an_excepted_work(load_packs: Loader) -> None:
    """765 ILCS 1075/35(b)(4): §30(a) does not apply to "promotional materials,
    advertisements, or commercial announcements for a use described under paragraph (1),
    (2), or (3)"; (b)(2): "any political campaign"."""
    law = load_packs([IL], data="law-fixes")
    ad = {"synthetic_audio": True, "digital_replica": True}
    trailer = replica(
        IL_NONE,
        "US-IL",
        output=ad,
        context=["advertising"],
        facts={"advertised_work_excepted": True},
    )
    decision = law.decide(trailer)
    assert not reasons(decision, "consent-missing", f"{IL} 1075/30(a)")
    assert reasons(decision, "exception", f"{IL} 1075/30(a)")
    campaign = replica(IL_NONE, "US-IL", output=ad, facts={"political_campaign": True})
    campaign["facts"]["il_commercial_purpose"] = True
    assert not reasons(law.decide(campaign), "consent-missing", f"{IL} 1075/30(a)")


def test_ca_3344_1_f_no_damages_before_a_successor_registers(load_packs: Loader) -> None:
    """Cal. Civ. Code §3344.1(f): a successor may not recover damages for a use before
    registering the claim with the Secretary of State; the use still needs consent."""
    law = load_packs([CA], data="law-fixes")
    unregistered = replica(CA_DIED_2020, "US-CA", facts={"ca_successor_registered": False})
    decision = law.decide(unregistered)
    assert_denied(decision, f"{CA} §3344.1(f)")
    assert any(
        "no damages are recoverable" in m for m in reasons(decision, "risk", f"{CA} §3344.1(f)")
    )
    registered = law.decide(replica(CA_DIED_2020, "US-CA", facts={"ca_successor_registered": True}))
    assert_denied(registered, f"{CA} §3344.1 (digital replica)")
    assert not reasons(registered, "risk", f"{CA} §3344.1(f)")
