"""What jurisdiction packs need from the engine, on tests/fixtures/laws: consent caps,
minors, post-mortem terms, who may consent, exceptions, licences from rights holders,
obligations already met, risks on a deny, residence, and assumed enactment dates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clausula
from clausula import Decision, PolicySet
from clausula.territory import ALIASES

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


# ----------------------------------------------------------------- who may consent, void terms

_WHO = """\
vocabulary "v"
  purposes voice_replica
  contexts parody, advertising

contract "open" "Permits everything"
  licensor party:label
  licensee party:dev
  effective 2020-01-01 for 30 years
  territory worldwide
  scope all works
  clause 1 "All"
    permit voice_replica

jurisdiction "who" "Who may consent"
  text "Demonstration"
  in force from 2020-01-01
  applies when use.territory in US

  rule "default" "The engine's default"
    cite "Demonstration, sec. 1"
    when advertising in use.context
    require consent of each artist in use.artists for use.purpose

  rule "minors" "A minor's parent or guardian"
    cite "Demonstration, sec. 2"
    when not advertising in use.context and not parody in use.context
    require consent of each artist in use.artists for use.purpose
      given by the person or guardian while a minor or estate after death

  rule "void" "A term of an agreement"
    cite "Demonstration, sec. 3"
    when parody in use.context
    void consent of each artist in use.artists for use.purpose made from 2024-08-09
      if not in writing with specific description or under collective bargaining

  rule "cba" "Caps that a union agreement lifts"
    cite "Demonstration, sec. 4"
    when use.facts.capped
    require consent of each artist in use.artists for use.purpose
      in writing signed for at most 10 years, if minor court approved for at most 5 years,
      or any consent under collective bargaining

  fact capped: boolean "Ask for the capped consent"
"""

_WHO_DATA = """\
parties:
  - {id: party:label, kind: label, name: Label}
  - {id: party:dev, kind: developer, name: Developer}
  - {id: isni:0000000095000134, kind: artist, name: Minor Self, birth_date: 2012-05-01}
  - {id: isni:0000000095000142, kind: artist, name: Adult Bare, birth_date: 1980-01-01}
  - {id: isni:0000000095000150, kind: artist, name: Adult Old Bare, birth_date: 1980-01-01}
  - {id: isni:0000000095000169, kind: artist, name: Union 2010, birth_date: 1980-01-01}
  - {id: isni:0000000095000177, kind: artist, name: No Grant, birth_date: 1980-01-01}
works: []
grants:
  - {id: g-minor, grantor: isni:0000000095000134, grantee: party:dev, purposes: [voice_replica], territories: [US], valid_from: 2026-01-01, formalities: [in_writing, signed]}
  - {id: g-bare, grantor: isni:0000000095000142, grantee: party:dev, purposes: [voice_replica], territories: [US], valid_from: 2025-01-01, formalities: [in_writing, signed]}
  - {id: g-old-bare, grantor: isni:0000000095000150, grantee: party:dev, purposes: [voice_replica], territories: [US], valid_from: 2025-01-01, signed_on: 2024-08-08, formalities: [in_writing, signed]}
  - {id: g-union, grantor: isni:0000000095000169, grantee: party:dev, purposes: [voice_replica], territories: [US], valid_from: 2010-01-01, formalities: [collective_bargaining]}
"""
W_MINOR, W_BARE, W_OLD = "isni:0000000095000134", "isni:0000000095000142", "isni:0000000095000150"
W_UNION, W_NONE = "isni:0000000095000169", "isni:0000000095000177"


@pytest.fixture(scope="module")
def who(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    root = tmp_path_factory.mktemp("who")
    (root / "who.clause").write_text(_WHO)
    (root / "data").mkdir()
    (root / "data" / "data.yaml").write_text(_WHO_DATA)
    return clausula.load(root, data=root / "data")


def test_given_by_the_person_refuses_a_minor_s_own_grant(who: PolicySet) -> None:
    """`given by the person or guardian while a minor`: a grant the minor signed herself
    does not count; without `given by` (the default) it still does."""
    named = who.decide(replica(W_MINOR, territory="US"))
    assert named.decision == "deny"
    assert "signed by isni:0000000095000134 as a minor" in messages(named, "consent-missing")
    default = who.decide(replica(W_MINOR, territory="US", context=["advertising"]))
    assert default.decision == "allow", default.reasons


def test_void_consent_denies_only_a_grant_relied_on(who: PolicySet) -> None:
    """`void consent`: a grant relied on that lacks the formalities is void (and the reason
    says so); a use relying on no grant is outside the rule; a grant made before `made
    from` is outside it too, read from the grant's own `signed_on`."""
    void = who.decide(replica(W_BARE, territory="US", context=["parody"]))
    assert void.decision == "deny"
    assert "relied on is void under this statute: grant g-bare lacks" in messages(
        void, "consent-missing"
    )
    none = who.decide(replica(W_NONE, territory="US", context=["parody"]))
    assert none.decision == "allow", none.reasons
    assert "relies on no grant of theirs" in messages(none, "exception")
    old = who.decide(replica(W_OLD, territory="US", context=["parody"]))
    assert old.decision == "allow", old.reasons
    assert "grant g-old-bare" in messages(old, "consent-met")


def test_or_any_consent_is_free_of_the_caps(who: PolicySet) -> None:
    """`, or any consent under collective bargaining`: no 10-year cap for such a grant,
    while a grant meeting neither alternative is told both."""
    union = who.decide(replica(W_UNION, territory="US", facts={"capped": True}))
    assert union.decision == "allow", union.reasons
    bare = who.decide(replica(W_MINOR, territory="US", facts={"capped": True}))
    assert "court approved or collective bargaining" in messages(bare, "consent-missing")


def test_new_consent_syntax_formats_and_renders(tmp_path: Path) -> None:
    """`clausula fmt` keeps `given by`, `or any consent` and `void consent … made from …
    if not …` (formatting twice changes nothing), and the rendering names them."""
    from clausula.formatter import format_text
    from clausula.parser import parse
    from clausula.render_clauses import build

    once = format_text(_WHO)
    assert format_text(once) == once
    for words in (
        "given by the person or guardian while a minor or estate after death",
        "or any consent under collective bargaining",
        "void consent of each artist in use.artists for use.purpose made from 2024-08-09",
        "if not in writing with specific description or under collective bargaining",
    ):
        assert words in " ".join(once.split()), words
    source, diagnostics = parse(_WHO, "who.clause")
    assert not diagnostics
    document = str(build(source))
    assert "Voids a consent" in document or "voids a consent" in document.lower()


def test_void_consent_is_not_an_opt_in_requirement(tmp_path: Path) -> None:
    """A contract that pays an artist must still `require consent` of them: `void consent`
    asks for none."""
    path = tmp_path / "c.clause"
    path.write_text(
        'contract "c" "C"\n  licensor party:label\n  licensee party:dev\n'
        "  effective 2024-01-01 for 1 years\n  territory worldwide\n  scope all works\n"
        '  clause 1 "x"\n    permit generation\n'
        "    void consent of each artist in use.artists for use.purpose if not in writing\n"
        "    pay 1 EUR to each artist in use.artists\n"
    )
    assert any("opt-in" in d.message for d in clausula.check([path]))


@pytest.mark.parametrize(
    ("alias", "subdivision"),
    [("PR", "US-PR"), ("GU", "US-GU"), ("VI", "US-VI"), ("AS", "US-AS"), ("MP", "US-MP")],
)
def test_territory_aliases_are_one_place(alias: str, subdivision: str) -> None:
    """ISO 3166-1 `PR` and ISO 3166-2 `US-PR` are the same place, inside `US`."""
    from clausula.territory import TerritorySet

    for include in ({"US"}, {alias}, {subdivision}):
        inside = TerritorySet(frozenset(include))
        assert inside.contains(alias) and inside.contains(subdivision)
    everywhere_but = TerritorySet(None, frozenset({"US"}))
    assert not everywhere_but.contains(alias)
    assert not TerritorySet(frozenset({"US-TN"})).contains(alias)


_CODES = ["US", "US-TN", "US-PR", "PR", "GU", "US-GU", "FR", "FR-971", "GP", "NL", "AW", "DE"]


@settings(max_examples=200, deadline=None)
@given(
    st.frozensets(st.sampled_from(_CODES), max_size=4),
    st.frozensets(st.sampled_from(_CODES), max_size=2),
    st.sampled_from(sorted(ALIASES.items())),
)
def test_an_alias_and_its_subdivision_are_inside_the_same_sets(
    include: frozenset[str], exclude: frozenset[str], pair: tuple[str, str]
) -> None:
    """For every territory set, an aliased code and its subdivision lie inside it alike."""
    from clausula.territory import TerritorySet

    territory_set = TerritorySet(include, exclude)
    alias, subdivision = pair
    assert territory_set.contains(alias) == territory_set.contains(subdivision)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.frozensets(st.sampled_from(_CODES), max_size=4)),
    st.frozensets(st.sampled_from(_CODES), max_size=2),
    st.lists(st.sampled_from(_CODES), min_size=1, max_size=12),
)
def test_a_territory_set_answers_alike_whatever_it_remembers(
    include: frozenset[str] | None, exclude: frozenset[str], asked: list[str]
) -> None:
    """A set remembers which territories lie inside it: its answers, asked in any order and
    again, are a fresh set's (the rule: in none of the excluded places, and in an included
    one unless the set is everywhere), and what it remembers is no part of its value."""
    from clausula.territory import TerritorySet, places_of

    territory_set = TerritorySet(include, exclude)
    for territory in asked + asked[::-1]:
        places = places_of(territory)
        expected = places.isdisjoint(exclude) and (
            include is None or not places.isdisjoint(include)
        )
        assert territory_set.contains(territory) is expected
        assert TerritorySet(include, exclude).contains(territory) is expected
    fresh = TerritorySet(include, exclude)
    assert territory_set == fresh and hash(territory_set) == hash(fresh)
    assert repr(territory_set) == repr(fresh)


def test_a_territory_set_remembers_a_bounded_number_of_answers() -> None:
    """Past its bound a set computes its answers without keeping them, and they stay right."""
    from clausula.territory import TerritorySet

    territory_set = TerritorySet(frozenset({"DE"}))
    for index in range(5000):
        assert not territory_set.contains(f"ZZ-{index}")
    assert territory_set.contains("DE") and not territory_set.contains("FR")
    assert len(territory_set._inside) <= 4096
