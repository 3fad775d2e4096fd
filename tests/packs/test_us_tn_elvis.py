"""us-tn-elvis: the Tennessee ELVIS Act, Tenn. Pub. Ch. 588 (2024), Tenn. Code Ann.
§47-25-1101 ff., in force from 2024-07-01.

Each test names the section it takes its words from. The permissive contract of
tests/packs/conftest.py licenses everything, so the Act alone decides; data in
tests/packs/data/us-voice/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clausula import Decision, PolicySet

Loader = Callable[..., PolicySet]  # the `load_packs` fixture of tests/packs/conftest.py

TN_NONE = "isni:0000000900022222"  # lives in Tennessee, no grant
TN_ORAL = "isni:0000000900033335"  # lives in Tennessee, a grant with no formality
CA_NONE = "isni:0000000900044448"  # lives in California, no grant
MINOR_NO_COURT = "isni:0000000900133328"  # guardian's grant, no court approval
DIED_2020 = "isni:0000000900144430"  # no estate grant
DIED_2000_EXPLOITED = "isni:0000000900155543"  # last exploited 2025-06-01
ESTATE_SIGNED = "isni:0000000900188871"  # died 2022, the estate's grant

PUBLIC = "us-tn-elvis §47-25-1105(a)(2)"
ADVERTISING = "us-tn-elvis §47-25-1105(a)(1)"
TOOL = "us-tn-elvis §47-25-1105(a)(3)"


@pytest.fixture(scope="module")
def law(load_packs: Loader) -> PolicySet:
    return load_packs(["us-tn-elvis"], data="us-voice")


def clone(artist: str = TN_NONE, **fields: Any) -> dict[str, Any]:
    """A voice clone made public in Tennessee."""
    use: dict[str, Any] = {
        "id": "v",
        "date": "2026-09-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-TN",
        "artists": [artist],
        "output": {"synthetic_audio": True, "digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def reasons(decision: Decision, effect: str, rule: str | None = None) -> list[str]:
    return [r.message for r in decision.reasons if r.effect == effect and rule in (None, r.rule)]


def assert_denied(decision: Decision, rule: str = PUBLIC) -> None:
    assert decision.decision == "deny", decision.reasons
    assert reasons(decision, "consent-missing", rule), decision.reasons


def assert_allowed(decision: Decision) -> None:
    assert decision.decision == "allow", decision.reasons
    assert not reasons(decision, "consent-missing"), decision.reasons


# ------------------------------------------------------------------ §47-25-1105(a)(2)


def test_1105_a2_voice_clone_made_public_without_authorization_is_denied(law: PolicySet) -> None:
    """§47-25-1105(a)(2): "makes available to the public an individual's voice … not
    authorized by the individual"; §47-25-1105(b): a Class A misdemeanor."""
    decision = law.decide(clone())
    assert_denied(decision)
    message = reasons(decision, "consent-missing", PUBLIC)[0]
    assert f"no valid consent of {TN_NONE} for voice_replica in US-TN: none is recorded" in message
    assert "§47-25-1105(a)(2)" in (decision.reasons[0].citation or "")
    assert any("Class A misdemeanor" in m for m in reasons(decision, "risk", PUBLIC))


def test_1105_a2_authorization_needs_no_form(law: PolicySet) -> None:
    """§47-25-1105(a)(2) "authorized by the individual": no writing is required [A3]."""
    decision = law.decide(clone(TN_ORAL))
    assert_allowed(decision)
    assert "grant g-oral" in reasons(decision, "consent-met", PUBLIC)[0]
    assert reasons(decision, "risk") == []


def test_1105_a2_an_ai_label_is_no_authorization(law: PolicySet) -> None:
    """§47-25-1105(a)(2): only the individual's authorization counts, not a label."""
    labelled = clone(
        output={
            "synthetic_audio": True,
            "digital_replica": True,
            "public": True,
            "labelled_ai": True,
        }
    )
    assert_denied(law.decide(labelled))


def test_1105_a2_needs_the_public_and_the_voice(law: PolicySet) -> None:
    """§47-25-1105(a)(2) "makes available to the public"; §47-25-1102 "voice": readily
    identifiable, actual or simulated."""
    private = clone(output={"synthetic_audio": True, "digital_replica": True, "public": False})
    assert_allowed(law.decide(private))
    style_only = clone(purpose="style_imitation", output={"synthetic_audio": True, "public": True})
    assert_allowed(law.decide(style_only))
    identifiable = {**style_only, "facts": {"readily_identifiable_voice": True}}
    assert_denied(law.decide(identifiable))


def test_1105_a2_training_is_not_making_available(law: PolicySet) -> None:
    """§47-25-1105(a)(2) regulates making available, not training (laws.md §9.1)."""
    training = clone(purpose="training", output={})
    assert_allowed(law.decide(training))


# ------------------------------------------------------------------ in force, where


def test_in_force_from_2024_07_01(law: PolicySet) -> None:
    """Pub. Ch. 588 (2024): effective 2024-07-01."""
    before = law.decide(clone(date="2024-06-30"))
    assert before.decision == "allow"
    assert before.policy.jurisdictions == []
    on = law.decide(clone(date="2024-07-01"))
    assert on.policy.jurisdictions == ["us-tn-elvis"]
    assert_denied(on)


@pytest.mark.parametrize(
    ("artist", "territory", "applies"),
    [
        (CA_NONE, "US-TN", True),  # every individual's voice, used in Tennessee
        (CA_NONE, "US-CA", False),  # a Californian's voice in California
        (TN_NONE, "US-CA", True),  # a Tennessean's voice elsewhere in the US [A1]
        (TN_NONE, "US", True),
        (TN_NONE, "FR", False),  # outside the US [A1]
    ],
)
def test_1103_where_the_right_applies(
    law: PolicySet, artist: str, territory: str, applies: bool
) -> None:
    """§47-25-1103: "every individual has a property right" in their voice [A1]."""
    decision = law.decide(clone(artist, territory=territory))
    assert ("us-tn-elvis" in decision.policy.jurisdictions) is applies
    assert decision.decision == ("deny" if applies else "allow")


def test_1103_only_the_tennessean_needs_consent_outside_tennessee(law: PolicySet) -> None:
    """[A1]: in California the Act covers the Tennessee resident, not the Californian."""
    decision = law.decide(clone(TN_ORAL, territory="US-CA", artists=[TN_ORAL, CA_NONE]))
    assert decision.decision == "allow", decision.reasons
    in_tennessee = law.decide(clone(territory="US-TN", artists=[TN_ORAL, CA_NONE]))
    assert [m for m in reasons(in_tennessee, "consent-missing") if CA_NONE in m]


# ------------------------------------------------------------------ §47-25-1107(a) fair use


@pytest.mark.parametrize(
    "context",
    [
        "news",  # (a)(1) news, public affairs, or sports broadcast or account
        "public_affairs",
        "sports",
        "commentary",  # (a)(2) comment, criticism, scholarship, satire, or parody
        "criticism",
        "scholarship",
        "satire",
        "parody",
        "incidental",  # (a)(4) fleeting or incidental
    ],
)
def test_1107_a_fair_use(law: PolicySet, context: str) -> None:
    """§47-25-1107(a)(1), (2), (4): not a violation, whatever the consent."""
    decision = law.decide(clone(context=[context]))
    assert_allowed(decision)
    assert any(f"{context} in use.context" in m for m in reasons(decision, "exception", PUBLIC))


@pytest.mark.parametrize(
    ("facts", "allowed"),
    [
        ({"av_self_representation": True, "false_impression_authentic": False}, True),
        ({"av_self_representation": True, "false_impression_authentic": True}, False),
        ({"av_self_representation": True}, False),  # no false impression not stated [A6]
        ({"false_impression_authentic": False}, False),  # not an audiovisual work
    ],
)
def test_1107_a3_audiovisual_self_representation(
    law: PolicySet, facts: dict[str, bool], allowed: bool
) -> None:
    """§47-25-1107(a)(3): oneself in an audiovisual work, unless it is intended to create,
    and creates, the false impression of an authentic recording."""
    decision = law.decide(clone(context=["documentary"], facts=facts))
    if allowed:
        assert_allowed(decision)
    else:
        assert_denied(decision)


def test_1107_a5_advertisement_for_an_excepted_work(law: PolicySet) -> None:
    """§47-25-1107(a)(5): an advertisement or commercial announcement for such a work."""
    ad = clone(context=["advertising"], facts={"advertised_work_excepted": True})
    assert_allowed(law.decide(ad))
    assert_denied(law.decide(clone(context=["advertising"])))


# ------------------------------------------------------------------ minors, death


def test_1105_a2_minor_through_the_guardian(law: PolicySet) -> None:
    """§47-25-1105(a): for a minor, the parent or legal guardian authorizes; no court
    approval is required."""
    decision = law.decide(clone(MINOR_NO_COURT))
    assert_allowed(decision)
    assert "grant g-minor-no-court" in reasons(decision, "consent-met", PUBLIC)[0]


def test_1104_ten_years_then_two_years_of_non_use(law: PolicySet) -> None:
    """§47-25-1104(a), (b)(2)(A): 10 years after death, ended by 2 years of non-use
    after that initial period [A5]. Died 2020-01-01, never exploited: 2032-01-01."""
    assert_denied(law.decide(clone(DIED_2020, date="2029-12-31")))
    assert_denied(law.decide(clone(DIED_2020, date="2031-12-31")))
    assert_allowed(law.decide(clone(DIED_2020, date="2032-01-01")))


def test_1104_b1_exploitation_maintains_the_right(law: PolicySet) -> None:
    """§47-25-1104(b)(1): commercial exploitation by the heirs maintains the right; it ends
    2 years after the last use (2025-06-01 → 2027-06-01), 27 years after death."""
    assert_denied(law.decide(clone(DIED_2000_EXPLOITED, date="2027-05-31")))
    assert_allowed(law.decide(clone(DIED_2000_EXPLOITED, date="2027-06-01")))


def test_1105_a_estate_authorizes_after_death(law: PolicySet) -> None:
    """§47-25-1105(a): for a deceased individual, the executor, heirs or devisees."""
    decision = law.decide(clone(ESTATE_SIGNED))
    assert_allowed(decision)
    assert "grant g-estate-signed" in reasons(decision, "consent-met", PUBLIC)[0]


# ------------------------------------------------------------------ (a)(1) and (a)(3)


def test_1105_a1_advertising_or_fundraising(law: PolicySet) -> None:
    """§47-25-1105(a)(1): a voice "for purposes of advertising … or fund raising" without
    prior consent, even when not otherwise made public."""
    ad = clone(
        purpose="generation",
        output={"synthetic_audio": True, "digital_replica": True},
        facts={"advertising_or_fundraising": True},
    )
    decision = law.decide(ad)
    assert_denied(decision, ADVERTISING)
    assert not reasons(decision, "consent-missing", PUBLIC)
    assert_allowed(law.decide({**ad, "artists": [TN_ORAL]}))
    assert_allowed(law.decide({**ad, "context": ["parody"]}))


def test_1105_a3_voice_cloning_tool(law: PolicySet) -> None:
    """§47-25-1105(a)(3): making available a tool "the primary purpose or function of
    which is the production of an individual's … voice" without authorization."""
    tool = clone(purpose="generation", output={}, facts={"voice_tool_primary_purpose": True})
    decision = law.decide(tool)
    assert_denied(decision, TOOL)
    assert any("Class A misdemeanor" in m for m in reasons(decision, "risk", TOOL))
    # Fair use does not cover the tool.
    assert_denied(law.decide({**tool, "context": ["parody"]}), TOOL)
    authorized = law.decide({**tool, "artists": [TN_ORAL]})
    assert_allowed(authorized)
    assert "for voice_replica" in reasons(authorized, "consent-met", TOOL)[0]
