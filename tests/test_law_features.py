"""What jurisdiction packs need from the engine, on tests/fixtures/laws: consent caps,
minors, post-mortem terms, who may consent, exceptions, licences from rights holders,
obligations already met, risks on a deny, residence, and assumed enactment dates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import clausula
from clausula import Decision, PolicySet

FIXTURE = Path(__file__).parent / "fixtures" / "laws"
OLD_GRANT = "isni:0000000111111118"
RECENT = "isni:0000000122222227"
MINOR = "isni:0000000133333336"
MINOR_TWO = "isni:0000000177777772"
RECENT_DEATH = "isni:0000000144444445"
OLD_DEATH = "isni:0000000155555554"
EARLY_ESTATE = "isni:0000000166666663"
RESERVED, OPEN, RESERVED_BY_LICENSOR = "isrc:USEXL2400102", "isrc:DEEXL2500217", "isrc:GBEXL2400530"


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return clausula.load(FIXTURE)


def replica(artist: str, **fields: Any) -> dict[str, Any]:
    use: dict[str, Any] = {
        "id": "r",
        "date": "2026-03-01",
        "licensee": "party:dev",
        "purpose": "voice_replica",
        "territory": "US-CA",
        "artists": [artist],
        "output": {"digital_replica": True, "public": True},
    }
    use.update(fields)
    return use


def messages(decision: Decision, effect: str) -> str:
    return " | ".join(r.message for r in decision.reasons if r.effect == effect)


def test_adult_grant_within_cap(policy: PolicySet) -> None:
    decision = policy.decide(replica(RECENT))
    assert decision.decision == "allow"
    assert "grant g-recent" in messages(decision, "consent-met")


def test_grant_counts_only_within_its_cap(policy: PolicySet) -> None:
    before_law = policy.decide(replica(OLD_GRANT, date="2023-12-31", territory="US"))
    assert before_law.decision == "allow"
    assert "law" not in before_law.policy.jurisdictions
    after = policy.decide(replica(OLD_GRANT))
    assert after.decision == "deny"
    assert "counts only for 10 years from 2014-01-01, until 2024-01-01" in messages(
        after, "consent-missing"
    )


def test_cap_edge(policy: PolicySet) -> None:
    # The law is in force from 2024-01-01; the cap ends on that day: never valid under it.
    assert policy.decide(replica(OLD_GRANT, date="2024-01-01")).decision == "deny"


def test_minor_grant_court_approved_and_capped(policy: PolicySet) -> None:
    assert policy.decide(replica(MINOR)).decision == "allow"
    last_day = policy.decide(replica(MINOR, date="2028-12-31"))
    assert last_day.decision == "allow"
    capped = policy.decide(replica(MINOR, date="2029-01-01"))
    assert capped.decision == "deny"
    assert "given for a minor and counts only for 5 years" in messages(capped, "consent-missing")


def test_minor_grant_needs_court_approval(policy: PolicySet) -> None:
    decision = policy.decide(replica(MINOR_TWO))
    assert decision.decision == "deny"
    assert "lacks court approved" in messages(decision, "consent-missing")


def test_estate_consents_after_death(policy: PolicySet) -> None:
    decision = policy.decide(replica(RECENT_DEATH))
    assert decision.decision == "allow"
    assert "grant g-estate-d" in messages(decision, "consent-met")


def test_estate_cannot_consent_while_the_artist_lives(policy: PolicySet) -> None:
    decision = policy.decide(replica(EARLY_ESTATE))
    assert decision.decision == "deny"
    assert "given by the estate party:estate-e while the artist was alive" in messages(
        decision, "consent-missing"
    )


def test_post_mortem_term_with_renewal(policy: PolicySet) -> None:
    # Died 2010-01-01, 10 years plus one 5-year renewal: protected until 2025-01-01.
    protected = policy.decide(replica(OLD_DEATH, date="2024-12-31"))
    assert protected.decision == "deny"
    free = policy.decide(replica(OLD_DEATH, date="2025-01-01"))
    assert free.decision == "allow"
    assert "consent-missing" not in [r.effect for r in free.reasons]


def test_exception_and_label_that_cures_nothing(policy: PolicySet) -> None:
    labelled = replica(
        OLD_GRANT,
        output={
            "digital_replica": True,
            "public": True,
            "labelled_ai": True,
            "synthetic_audio": True,
        },
    )
    assert policy.decide(labelled).decision == "deny"  # an AI label is no consent
    parody = policy.decide({**labelled, "context": ["parody"]})
    assert parody.decision == "allow"
    assert "unless parody in use.context" in messages(parody, "exception")


def test_risk_is_information_on_a_deny_only(policy: PolicySet) -> None:
    denied = policy.decide(replica(OLD_GRANT))
    assert "USD 5,000 per work" in messages(denied, "risk")
    assert denied.payments == []
    allowed = policy.decide(replica(RECENT))
    assert messages(allowed, "risk") == ""


def test_obligation_met_by_the_label(policy: PolicySet) -> None:
    base = replica(
        RECENT, output={"digital_replica": True, "public": True, "synthetic_audio": True}
    )
    assert [o.text for o in policy.decide(base).obligations] == [
        "Mark the output as AI-generated",
        "Notify the artist",
    ]
    labelled = {**base, "output": {**base["output"], "labelled_ai": True}}
    decision = policy.decide(labelled)
    assert [o.text for o in decision.obligations] == ["Notify the artist"]
    assert "already done: Mark the output" in messages(decision, "obligation-met")


def test_licence_from_the_rights_holder(policy: PolicySet) -> None:
    training = {
        "date": "2026-03-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "US",
    }
    reserved = policy.decide({**training, "works": [RESERVED]})
    assert reserved.decision == "deny"
    assert "needs a licence from its rights holder party:other-label" in messages(
        reserved, "no-licence"
    )
    by_licensor = policy.decide({**training, "works": [RESERVED_BY_LICENSOR]})
    assert by_licensor.decision == "allow"
    assert "licensed by its rights holder party:label" in messages(by_licensor, "licence-met")
    assert policy.decide({**training, "works": [OPEN]}).decision == "allow"


def test_residence_applies_a_law_outside_its_territory(policy: PolicySet) -> None:
    abroad = policy.decide(replica(RECENT, territory="FR"))
    assert abroad.policy.jurisdictions == ["residents"]
    other = policy.decide(replica(OLD_GRANT, territory="FR"))
    assert "residents" not in other.policy.jurisdictions


def test_assumed_enactment_date() -> None:
    assumed = clausula.load(FIXTURE, assume=["p-law:enacted=2026-01-01"])
    # 180 days after 2026-01-01 is 2026-06-30.
    before = assumed.decide(replica(RECENT, date="2026-06-29"))
    on = assumed.decide(replica(RECENT, date="2026-06-30"))
    assert "p-law" not in before.policy.jurisdictions
    assert "p-law" in on.policy.jurisdictions
    assert "Disclose the replica" in [o.text for o in on.obligations]
    assert on.policy.assumed == ["p-law:enacted=2026-01-01"]
    plain = clausula.load(FIXTURE, assume=["p-law"])
    assert "p-law" in plain.decide(replica(RECENT)).policy.jurisdictions


def test_bad_assumption_is_reported() -> None:
    with pytest.raises(clausula.PolicyError, match="enacted=YYYY-MM-DD"):
        clausula.load(FIXTURE, assume=["p-law:passed=2026-01-01"])
    with pytest.raises(clausula.PolicyError, match="not a date"):
        clausula.load(FIXTURE, assume=["p-law:enacted=soon"])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '  define d = artist.age > 3\n  rule "x"\n    when d\n    oblige "y"\n',
            "`d` reads `artist`",
        ),
        ('  rule "x"\n    when artist.agee > 3\n    oblige "y"\n', "`artist.agee`"),
        (
            '  rule "x"\n    require licence for each artist in use.artists\n',
            "a licence is required for works",
        ),
        (
            '  rule "x"\n    when any(work in use.artists where work.tdm_reserved)\n    oblige "y"\n',
            "goes over `use.works`",
        ),
        ('  rule "x"\n    oblige "y" met when use.revenue\n', "`met when` needs a condition"),
    ],
)
def test_checker_on_the_new_constructs(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "law.clause"
    path.write_text('jurisdiction "j" "J"\n  in force from 2024-01-01\n' + text)
    diagnostics = clausula.check([path])
    assert diagnostics, text
    assert fragment in diagnostics[0].message


def _policy_with(tmp_path: Path, law: str) -> PolicySet:
    """The fixture's contract and data with a law of the test's own."""
    root = tmp_path / "policies"
    root.mkdir()
    text = (FIXTURE / "policy.clause").read_text()
    contract = re.split(r"^jurisdiction ", text, maxsplit=1, flags=re.MULTILINE)[0]
    (root / "contract.clause").write_text(contract)
    (root / "law.clause").write_text(law)
    return clausula.load(root, data=FIXTURE / "data")


def test_minor_terms_add_to_the_general_formalities(tmp_path: Path) -> None:
    policy = _policy_with(
        tmp_path,
        """\
jurisdiction "l" "L"
  in force from 2024-01-01
  applies when use.territory in US
  rule "1" "Consent"
    cite "L 1"
    require consent of each artist in use.artists for use.purpose in writing signed
      court approved, if minor for at most 5 years
""",
    )
    # The guardian's grant for Minor Two is in writing and signed but not court approved.
    assert policy.decide(replica(MINOR_TWO)).decision == "deny"
    assert policy.decide(replica(MINOR)).decision == "allow"


def test_any_performer_looks_at_the_performers_of_the_works(tmp_path: Path) -> None:
    policy = _policy_with(
        tmp_path,
        """\
jurisdiction "l" "L"
  in force from 2024-01-01
  applies when any(performer in use.works where performer.residence in US-TN)
  rule "1" "Notice"
    cite "L 1"
    oblige "Notify"
""",
    )
    training = {
        "date": "2026-03-01",
        "licensee": "party:dev",
        "purpose": "training",
        "territory": "FR",
        "works": [OPEN],
    }
    assert policy.decide(training).policy.jurisdictions == ["l"]


def test_enacted_law_keeps_its_end_date(tmp_path: Path) -> None:
    policy = _policy_with(
        tmp_path,
        """\
jurisdiction "l" "L"
  proposed
  in force from 2027-01-01 until 2028-12-31
  applies when use.territory in US
  rule "1" "Notice"
    cite "L 1"
    oblige "Notify"
""",
    )
    root = tmp_path / "policies"
    assumed = clausula.load(root, data=FIXTURE / "data", assume=["l:enacted=2026-01-01"])
    assert "l" in assumed.decide(replica(RECENT, date="2026-06-01")).policy.jurisdictions
    assert "l" not in assumed.decide(replica(RECENT, date="2029-06-01")).policy.jurisdictions
    assert policy.decide(replica(RECENT)).policy.jurisdictions == []


def test_risk_only_from_the_rules_that_deny(tmp_path: Path) -> None:
    policy = _policy_with(
        tmp_path,
        """\
jurisdiction "l" "L"
  in force from 2024-01-01
  applies when use.territory in US
  rule "a" "Met"
    cite "L a"
    require consent of each artist in use.artists for use.purpose in writing
    risk "Risk of a"
  rule "b" "Denies"
    cite "L b"
    when use.output.names_artist
    deny "Naming is forbidden"
    risk "Risk of b"
""",
    )
    decision = policy.decide(
        replica(RECENT, output={"digital_replica": True, "public": True, "names_artist": True})
    )
    assert decision.decision == "deny"
    assert messages(decision, "risk") == "Risk of b"


def test_an_artist_unknown_to_the_data_stays_protected(tmp_path: Path) -> None:
    policy = _policy_with(
        tmp_path,
        """\
jurisdiction "l" "L"
  in force from 2024-01-01
  applies when use.territory in US
  rule "1" "Consent while alive"
    cite "L 1"
    require consent of each artist in use.artists for use.purpose in writing
      where not artist.deceased
""",
    )
    stranger = "isni:0000000121032683"  # not in this fixture's parties
    decision = policy.decide(replica(stranger))
    assert decision.decision == "deny"
    assert f"no valid consent of {stranger}" in messages(decision, "consent-missing")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            'contract "c" "C"\n  licensor party:label\n  licensee party:dev\n'
            "  effective 2024-01-01 for 1 years\n  territory worldwide\n  scope all works\n"
            '  clause 1 "x"\n    require licence for each work in use.works\n',
            "`require licence` is for laws",
        ),
        (
            'jurisdiction "j" "J"\n  in force from 2024-01-01\n  rule "x"\n'
            "    require consent of party:label where use.commercial\n",
            "`where` chooses among several",
        ),
    ],
)
def test_misplaced_constructs(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "x.clause"
    path.write_text(text)
    assert any(fragment in d.message for d in clausula.check([path]))
