"""us-nofakes-2026: the NO FAKES Act of 2026, S.4591 as introduced (proposed; off unless
assumed; effective 180 days after an assumed enactment date).

Each test names the section it takes its words from. The permissive contract of
tests/packs/conftest.py licenses everything, so the Act alone decides; data in
tests/packs/data/us-voice/ (grants to party:dev in the US)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

TN_NONE = "isni:0000000900022222"  # lives in Tennessee, no grant
TN_ORAL = "isni:0000000900033335"  # a grant with no formality
FORMAL = "isni:0000000900055550"  # written, signed, specific; signed 2020-01-01
NO_WRITING = "isni:0000000900066663"
NO_SIGNATURE = "isni:0000000900077776"
NO_DESCRIPTION = "isni:0000000900088889"
UNION = "isni:0000000900099991"  # a grant under a CBA only, 2024-01-01
MINOR = "isni:0000000900111102"  # 18 on 2030-05-01; court-approved grant of 2026-01-01
MINOR_CAPPED = "isni:0000000900122215"  # 18 on 2033; court-approved grant of 2024-01-01
MINOR_NO_COURT = "isni:0000000900133328"
DIED_2020 = "isni:0000000900144430"
DIED_1960 = "isni:0000000900166656"  # 13 renewals registered
DIED_2010_RENEWED = "isni:0000000900177769"  # 2 renewals registered
ESTATE_SIGNED = "isni:0000000900188871"  # died 2022; estate grant written and signed
ESTATE_UNSIGNED = "isni:0000000900199984"  # died 2022; estate grant written only

REPLICA = "us-nofakes-2026 §2(c)(2)(A)"
EXPLICIT = "us-nofakes-2026 §2(c)(5)(B)"
PRODUCT = "us-nofakes-2026 §2(c)(2)(B)"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["us-nofakes-2026"], data="us-voice", assume=["us-nofakes-2026"])


def replica(artist: str = TN_NONE, **fields: Any) -> dict[str, Any]:
    """A digital replica made available to the public in the United States."""
    use: dict[str, Any] = {
        "id": "r",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-CA",
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def reasons(decision: Decision, effect: str, rule: str | None = None) -> list[str]:
    return [r.message for r in decision.reasons if r.effect == effect and rule in (None, r.rule)]


def assert_denied(decision: Decision, rule: str = REPLICA, fragment: str = "") -> None:
    assert decision.decision == "deny", decision.reasons
    missing = reasons(decision, "consent-missing", rule)
    assert missing, decision.reasons
    assert any(fragment in m for m in missing), missing


def assert_allowed(decision: Decision) -> None:
    assert decision.decision == "allow", decision.reasons
    assert not reasons(decision, "consent-missing"), decision.reasons


# ------------------------------------------------------------------ status and place


def test_proposed_law_is_off_unless_assumed(load_packs: Loader) -> None:
    """Not enacted (laws.md §1.1): without `--assume`, the pack does not apply."""
    plain = load_packs(["us-nofakes-2026"], data="us-voice")
    decision = plain.decide(replica())
    assert decision.decision == "allow"
    assert decision.policy.jurisdictions == []


def test_2k_effective_180_days_after_enactment(load_packs: Loader) -> None:
    """§2(k): "shall take effect 180 days after the date of enactment"."""
    law = load_packs(
        ["us-nofakes-2026"], data="us-voice", assume=["us-nofakes-2026:enacted=2027-01-01"]
    )
    before = law.decide(replica(date="2027-06-29"))
    assert before.policy.jurisdictions == []
    assert before.decision == "allow"
    on = law.decide(replica(date="2027-06-30"))
    assert on.policy.jurisdictions == ["us-nofakes-2026"]
    assert on.policy.assumed == ["us-nofakes-2026:enacted=2027-01-01"]
    assert_denied(on)


def test_2c2a_replica_made_public_without_authorization(law: PolicySet) -> None:
    """§2(c)(2)(A): making a digital replica available to the public without
    authorization by the right holder; §2(e)(4): statutory damages."""
    decision = law.decide(replica())
    assert_denied(decision, fragment="none is recorded")
    risks = reasons(decision, "risk", REPLICA)
    assert any("USD 5,000 per work" in r and "USD 750,000" in r for r in risks)
    assert decision.payments == []


def test_2c2a_needs_a_public_replica_in_the_us(law: PolicySet) -> None:
    """§2(c)(2)(A) "digital replica" and "available to the public"; a US law."""
    assert_allowed(law.decide(replica(output={"digital_replica": True, "public": False})))
    assert_allowed(law.decide(replica(output={"synthetic_audio": True, "public": True})))
    abroad = law.decide(replica(territory="DE"))
    assert abroad.policy.jurisdictions == []
    assert law.decide(replica(territory="US-TN")).policy.jurisdictions == ["us-nofakes-2026"]


def test_2e3_an_ai_label_is_no_defence(law: PolicySet) -> None:
    """§2(e)(3): a disclaimer or disclosure that the content is AI-generated is no defence."""
    labelled = replica(
        output={
            "synthetic_audio": True,
            "digital_replica": True,
            "public": True,
            "labelled_ai": True,
        }
    )
    assert_denied(law.decide(labelled))


# ------------------------------------------------------------------ licences of living adults


def test_2b2bi_written_signed_specific_licence(law: PolicySet) -> None:
    """§2(b)(2)(B)(i)(II): in writing, signed, with a reasonably specific description."""
    decision = law.decide(replica(FORMAL))
    assert_allowed(decision)
    assert "grant g-formal" in reasons(decision, "consent-met", REPLICA)[0]


@pytest.mark.parametrize(
    ("artist", "lacking"),
    [
        (NO_WRITING, "in writing"),
        (NO_SIGNATURE, "signed"),
        (NO_DESCRIPTION, "specific description"),
        (TN_ORAL, "in writing and signed and specific description"),
    ],
)
def test_2b2bi_licence_missing_a_formality(law: PolicySet, artist: str, lacking: str) -> None:
    """§2(b)(2)(B)(i)(II)(aa)-(bb): each formality is required."""
    assert_denied(law.decide(replica(artist)), fragment=f"lacks {lacking}")


def test_2b2bi_licence_counts_for_at_most_10_years(law: PolicySet) -> None:
    """§2(b)(2)(B)(i)(I): valid only to the extent the duration does not exceed 10 years
    (signed 2020-01-01: until 2030-01-01)."""
    assert_allowed(law.decide(replica(FORMAL, date="2029-12-31")))
    assert_denied(
        law.decide(replica(FORMAL, date="2030-01-01")),
        fragment="counts only for 10 years from 2020-01-01, until 2030-01-01",
    )


def test_2b2biii_collective_bargaining_replaces_the_formalities(law: PolicySet) -> None:
    """§2(b)(2)(B)(iii): (i) and (ii) do not apply to a licence governed by a collective
    bargaining agreement that addresses digital replicas."""
    decision = law.decide(replica(UNION))
    assert_allowed(decision)
    assert "grant g-cba" in reasons(decision, "consent-met", REPLICA)[0]


def test_2b2biii_cba_licence_free_of_the_caps(law: PolicySet) -> None:
    """§2(b)(2)(B)(iii): "Clauses (i) and (ii) shall not apply" to a licence governed by a
    collective bargaining agreement that addresses digital replicas: the CBA grant of
    2024-01-01 still counts after 10 years."""
    assert_allowed(law.decide(replica(UNION, date="2033-12-31")))
    assert_allowed(law.decide(replica(UNION, date="2034-01-01")))
    assert_allowed(law.decide(replica(UNION, date="2040-01-01")))


# ------------------------------------------------------------------ minors


def test_2b2bii_minor_licence_with_court_approval(law: PolicySet) -> None:
    """§2(b)(2)(B)(ii)(II)(cc): approved by a court; given by the guardian."""
    assert_allowed(law.decide(replica(MINOR)))


def test_2b2bii_minor_licence_needs_court_approval(law: PolicySet) -> None:
    """§2(b)(2)(B)(ii)(II)(cc): without court approval, no valid licence."""
    assert_denied(law.decide(replica(MINOR_NO_COURT)), fragment="lacks court approved")


def test_2b2bii_minor_licence_ends_at_18(law: PolicySet) -> None:
    """§2(b)(2)(B)(ii)(I): "in any case terminates when the individual reaches 18"."""
    assert_allowed(law.decide(replica(MINOR, date="2030-04-30")))
    assert_denied(
        law.decide(replica(MINOR, date="2030-05-01")), fragment="ended at 18, on 2030-05-01"
    )


def test_2b2bii_minor_licence_counts_for_at_most_5_years(law: PolicySet) -> None:
    """§2(b)(2)(B)(ii)(I): valid only up to 5 years (signed 2024-01-01: until 2029-01-01)."""
    assert_allowed(law.decide(replica(MINOR_CAPPED, date="2028-12-31")))
    assert_denied(
        law.decide(replica(MINOR_CAPPED, date="2029-01-01")),
        fragment="given for a minor and counts only for 5 years",
    )


# ------------------------------------------------------------------ after death


def test_2b2aiv_ten_years_after_death(law: PolicySet) -> None:
    """§2(b)(2)(A)(iv)(II)(aa): 10 years after death (died 2020-01-01, no renewal)."""
    assert_denied(law.decide(replica(DIED_2020, date="2029-12-31")))
    assert_allowed(law.decide(replica(DIED_2020, date="2030-01-01")))


def test_2b2aiv_registered_renewals_of_5_years(law: PolicySet) -> None:
    """§2(b)(2)(A)(iv)(II)(bb), (D): each registered renewal adds 5 years (died 2010, two
    renewals: until 2030-01-01)."""
    assert_denied(law.decide(replica(DIED_2010_RENEWED, date="2029-12-31")))
    assert_allowed(law.decide(replica(DIED_2010_RENEWED, date="2030-01-01")))


def test_2b2av_never_beyond_70_years(law: PolicySet) -> None:
    """§2(b)(2)(A)(v): terminates 70 years after death, whatever the renewals (died 1960,
    13 renewals would reach 2035)."""
    assert_denied(law.decide(replica(DIED_1960, date="2029-12-31")))
    assert_allowed(law.decide(replica(DIED_1960, date="2030-01-01")))


def test_2b2c_estate_licence_in_writing_and_signed(law: PolicySet) -> None:
    """§2(b)(2)(C): after death, a licence in writing signed by the right holder; no
    specific description, no cap."""
    decision = law.decide(replica(ESTATE_SIGNED, date="2031-06-01"))
    assert_allowed(decision)
    assert "grant g-estate-signed" in reasons(decision, "consent-met", REPLICA)[0]
    assert_denied(law.decide(replica(ESTATE_UNSIGNED)), fragment="lacks signed")


# ------------------------------------------------------------------ exclusions §2(c)(5)


@pytest.mark.parametrize(
    "context",
    [
        "news",  # (A)(i) bona fide news, public affairs, or sports broadcast or account
        "public_affairs",
        "sports",
        "commentary",  # (A)(iii) commentary, criticism, scholarship, satire, or parody
        "criticism",
        "scholarship",
        "satire",
        "parody",
        "incidental",  # (A)(iv) fleeting or negligible
    ],
)
def test_2c5a_exclusions(law: PolicySet, context: str) -> None:
    """§2(c)(5)(A)(i), (iii), (iv): not a violation."""
    decision = law.decide(replica(context=[context]))
    assert_allowed(decision)
    assert any(f"{context} in use.context" in m for m in reasons(decision, "exception", REPLICA))


@pytest.mark.parametrize("context", ["documentary", "historical", "biographical"])
@pytest.mark.parametrize(
    ("facts", "allowed"),
    [
        ({"false_impression_authentic": False, "music_synced_to_av": False}, True),
        ({"false_impression_authentic": True, "music_synced_to_av": False}, False),
        ({"false_impression_authentic": False, "music_synced_to_av": True}, False),
        ({}, False),  # the provisos not ruled out [A4]
    ],
)
def test_2c5aii_documentary_unless_false_impression_or_synced_music(
    law: PolicySet, context: str, facts: dict[str, bool], allowed: bool
) -> None:
    """§2(c)(5)(A)(ii): documentary, historical or biographical, unless it creates the
    false impression of an authentic work, or the replica is a musical sound recording
    synchronized to accompany an audiovisual work."""
    decision = law.decide(replica(context=[context], facts=facts))
    if allowed:
        assert_allowed(decision)
    else:
        assert_denied(decision)


def test_2c5av_advertisement_for_an_excluded_work(law: PolicySet) -> None:
    """§2(c)(5)(A)(v): an advertisement or commercial announcement for such a work."""
    assert_allowed(
        law.decide(replica(context=["advertising"], facts={"advertised_work_excepted": True}))
    )
    assert_denied(law.decide(replica(context=["advertising"])))


def test_2c5b_no_exclusion_for_sexually_explicit_replicas(law: PolicySet) -> None:
    """§2(c)(5)(B): the exclusions do not apply to sexually explicit conduct."""
    decision = law.decide(replica(context=["parody"], facts={"sexually_explicit": True}))
    assert_denied(decision, EXPLICIT)
    # Without an exclusion, it stands in for §2(c)(2)(A), so consent is checked once.
    plain = law.decide(replica(facts={"sexually_explicit": True}))
    assert_denied(plain, EXPLICIT)
    assert not reasons(plain, "consent-missing", REPLICA)
    assert reasons(plain, "set-aside", REPLICA)
    assert_allowed(law.decide(replica(FORMAL, facts={"sexually_explicit": True})))


# ------------------------------------------------------------------ products and services


@pytest.mark.parametrize("fact", ["replica_product_designed", "replica_product_marketed"])
def test_2c2b_replica_products_and_services(law: PolicySet, fact: str) -> None:
    """§2(c)(2)(B)(i)-(iii): a product or service primarily designed, or marketed, to
    produce replicas of a specifically identified individual, without authorization."""
    tool = replica(purpose="generation", output={}, facts={fact: True})
    decision = law.decide(tool)
    assert_denied(decision, PRODUCT)
    assert any("per product or service" in r for r in reasons(decision, "risk", PRODUCT))
    authorized = law.decide({**tool, "artists": [FORMAL]})
    assert_allowed(authorized)
    assert "for voice_replica" in reasons(authorized, "consent-met", PRODUCT)[0]


# ------------------------------------------------------------------ layering with ELVIS


def test_2g_layering_with_the_tennessee_elvis_act(load_packs: Loader) -> None:
    """§2(g)(2)(A): state laws in force on 2025-01-02 survive; in Tennessee both apply and
    each can deny. An oral grant satisfies ELVIS but not NO FAKES."""
    both = load_packs(
        ["us-nofakes-2026", "us-tn-elvis"], data="us-voice", assume=["us-nofakes-2026"]
    )
    denied = both.decide(replica(territory="US-TN"))
    assert denied.policy.jurisdictions == ["us-nofakes-2026", "us-tn-elvis"]
    assert reasons(denied, "consent-missing", REPLICA)
    assert reasons(denied, "consent-missing", "us-tn-elvis §47-25-1105(a)(2)")
    oral = both.decide(replica(TN_ORAL, territory="US-TN"))
    assert_denied(oral, fragment="lacks in writing")
    assert reasons(oral, "consent-met", "us-tn-elvis §47-25-1105(a)(2)")
    assert_allowed(both.decide(replica(FORMAL, territory="US-TN")))
